/**
 * Splits a long message into chunks a chat platform accepts, dropping nothing: the pieces
 * concatenate back to the input, and only code fences are added around them. Prefers, in
 * order, paragraph breaks, line breaks, spaces and finally a hard cut; never splits a UTF-16
 * surrogate pair. A fenced code block that has to be split is closed at the end of one chunk
 * and reopened at the start of the next, so each chunk renders on its own. Platform-neutral:
 * Slack and Discord differ only in their limit and in what must not be cut (`keepTogether`).
 * Lengths are UTF-16 code units (`string.length`), which never undercounts characters.
 */

export interface SplitOptions {
  /**
   * Global regex of spans never to cut inside (entities, links, mentions, inline code),
   * unless a span alone is longer than a chunk.
   */
  keepTogether?: RegExp;
}

/** One chunk: `reopen + text + close`, where the `text`s of all pieces join to the input. */
export interface TextPiece {
  text: string;
  /** A fence opener added because the piece starts inside a code block, or "". */
  reopen: string;
  /** A fence closer added because the piece ends inside a code block, or "". */
  close: string;
}

interface FenceRegion {
  /** Start of the opening fence line. */
  openStart: number;
  /** Just after the opening fence line's newline. */
  contentStart: number;
  /** Start of the closing fence line, or the text's end when the block is never closed. */
  closeStart: number;
  /** End of the closing fence line (before its newline). */
  closeEnd: number;
  fence: string;
  /** Null when the fences would take too much of a chunk to be worth repeating. */
  reopen: string | null;
}

const BREAK_PARAGRAPH = 3;
const BREAK_LINE = 2;
const BREAK_SPACE = 1;
const BREAK_ANY = 0;

export function splitText(text: string, limit: number, options: SplitOptions = {}): string[] {
  return splitTextPieces(text, limit, options).map((piece) => piece.reopen + piece.text + piece.close);
}

export function splitTextPieces(text: string, limit: number, options: SplitOptions = {}): TextPiece[] {
  if (!Number.isInteger(limit) || limit < 2) {
    throw new RangeError(`splitText: limit must be an integer of at least 2, got ${limit}`);
  }
  if (text.length === 0) return [];
  const regions = findFences(text, limit);
  const layout = analyse(text, regions, options.keepTogether);
  const regionAt = (position: number): FenceRegion | undefined => regions[layout.inside[position] ?? -1];

  const pieces: TextPiece[] = [];
  let start = 0;
  let reopen = "";
  while (start < text.length) {
    const budget = limit - reopen.length;
    const end =
      text.length - start <= budget ? text.length : chooseEnd(text, start, budget, layout, regionAt);
    const inside = end < text.length ? regionAt(end) : undefined;
    const close = inside ? closer(text, end, inside.fence) : "";
    pieces.push({ text: text.slice(start, end), reopen, close });
    reopen = inside?.reopen ?? "";
    start = end;
  }
  return pieces;
}

function closer(text: string, end: number, fence: string): string {
  return text[end - 1] === "\n" ? fence : `\n${fence}`;
}

function chooseEnd(
  text: string,
  start: number,
  budget: number,
  layout: Layout,
  regionAt: (position: number) => FenceRegion | undefined,
): number {
  const maxEnd = Math.min(text.length, start + budget);
  const fits = (end: number): boolean => {
    const region = regionAt(end);
    return end - start + (region ? closer(text, end, region.fence).length : 0) <= budget;
  };
  const best = [-1, -1, -1, -1];
  let lastResort = -1;
  for (let end = maxEnd; end > start; end--) {
    if (isLowSurrogate(text, end) || !fits(end)) continue;
    if (lastResort < 0) lastResort = end;
    if (layout.blocked[end]) continue;
    const kind = layout.fenceEdge[end] ? BREAK_PARAGRAPH : breakKind(text, end);
    for (let k = kind; k >= BREAK_ANY; k--) if ((best[k] ?? -1) < 0) best[k] = end;
    if (kind === BREAK_PARAGRAPH) break;
  }
  const half = start + (maxEnd - start) / 2;
  for (const kind of [BREAK_PARAGRAPH, BREAK_LINE, BREAK_SPACE]) {
    const end = best[kind] ?? -1;
    if (end >= half) return end;
  }
  for (const kind of [BREAK_PARAGRAPH, BREAK_LINE, BREAK_SPACE, BREAK_ANY]) {
    const end = best[kind] ?? -1;
    if (end > start) return end;
  }
  if (lastResort > start) return lastResort;
  // Only reachable when the budget cannot hold one code point; overshooting beats looping.
  return Math.min(text.length, start + (isLowSurrogate(text, start + 1) ? 2 : 1));
}

/** A cut at `end` puts `text[end - 1]` last in one chunk and `text[end]` first in the next. */
function breakKind(text: string, end: number): number {
  const last = text[end - 1];
  if (last === "\n") {
    // After a blank (or whitespace-only) line.
    let i = end - 2;
    while (i >= 0 && (text[i] === " " || text[i] === "\t" || text[i] === "\r")) i--;
    return i < 0 || text[i] === "\n" ? BREAK_PARAGRAPH : BREAK_LINE;
  }
  if (last === " " || last === "\t") return BREAK_SPACE;
  return BREAK_ANY;
}

function isLowSurrogate(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  const before = text.charCodeAt(index - 1);
  return code >= 0xdc00 && code <= 0xdfff && before >= 0xd800 && before <= 0xdbff;
}

const FENCE_OPEN = /^[ \t]*(`{3,})([^`]*)$/;
const FENCE_CLOSE = /^[ \t]*(`{3,})[ \t\r]*$/;

function findFences(text: string, limit: number): FenceRegion[] {
  const regions: FenceRegion[] = [];
  let open: { openStart: number; contentStart: number; fence: string; info: string } | null = null;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    if (open === null) {
      const match = FENCE_OPEN.exec(line);
      if (match) {
        const contentStart = newline < 0 ? text.length : newline + 1;
        open = { openStart: lineStart, contentStart, fence: match[1] ?? "```", info: match[2] ?? "" };
      }
    } else {
      const match = FENCE_CLOSE.exec(line);
      if (match && (match[1]?.length ?? 0) >= open.fence.length) {
        regions.push(region(open, lineStart, lineEnd, limit));
        open = null;
      }
    }
    if (newline < 0) break;
    lineStart = newline + 1;
  }
  if (open) regions.push(region(open, text.length, text.length, limit));
  return regions;
}

function region(
  open: { openStart: number; contentStart: number; fence: string; info: string },
  closeStart: number,
  closeEnd: number,
  limit: number,
): FenceRegion {
  const language = open.info.trim().split(/\s+/)[0] ?? "";
  // Repeat the fence only while opener and closer take at most half a chunk.
  const affordable = (reopen: string): boolean => (reopen.length + open.fence.length + 1) * 2 <= limit;
  const withLanguage = `${open.fence}${language}\n`;
  const bare = `${open.fence}\n`;
  const reopen = affordable(withLanguage) ? withLanguage : affordable(bare) ? bare : null;
  return { ...open, closeStart, closeEnd, reopen };
}

interface Layout {
  /** Positions that are poor places to cut; used only when the window offers nothing else. */
  blocked: Uint8Array;
  /** Just before a code block or just after one: as good as a paragraph break. */
  fenceEdge: Uint8Array;
  /** For each position inside a repairable code block, that block's index; else -1. */
  inside: Int32Array;
}

function analyse(text: string, regions: FenceRegion[], keepTogether: RegExp | undefined): Layout {
  const size = text.length + 1;
  const layout: Layout = {
    blocked: new Uint8Array(size),
    fenceEdge: new Uint8Array(size),
    inside: new Int32Array(size).fill(-1),
  };
  const block = (from: number, to: number): void => {
    layout.blocked.fill(1, Math.max(0, from), Math.min(text.length, to) + 1);
  };
  regions.forEach((r, index) => {
    // Not inside a fence line, not right after an opener, not right before a closer:
    // each would leave an empty or broken block in one of the chunks.
    block(r.openStart + 1, r.contentStart);
    block(r.closeStart, r.closeEnd - 1);
    layout.fenceEdge[r.openStart] = 1;
    if (text[r.closeEnd] === "\n") layout.fenceEdge[r.closeEnd + 1] = 1;
    if (r.reopen !== null) layout.inside.fill(index, r.contentStart + 1, r.closeStart);
  });
  if (keepTogether) {
    const flags = keepTogether.flags.includes("g") ? keepTogether.flags : `${keepTogether.flags}g`;
    for (const match of text.matchAll(new RegExp(keepTogether.source, flags))) {
      if (match[0].length > 1) block(match.index + 1, match.index + match[0].length - 1);
    }
  }
  return layout;
}
