/**
 * Inline Markdown (emphasis, code spans, links, autolinks) parsed with CommonMark's delimiter
 * rules and rendered as Slack mrkdwn. Blocks (fences, lists, tables) are in format.ts.
 */

import { breakFences } from "../shared/fences.ts";

const MAX_LINK_DEPTH = 4;
const MAX_DELIMITERS_PER_LINE = 400;
const MAX_BRACKET_SCAN = 2_000;

export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

// ── Inline ───────────────────────────────────────────────────────────────────────────────

type Inline =
  | { kind: "text"; text: string }
  | { kind: "code"; content: string; raw: string }
  | { kind: "link"; url: string; label: Inline[] }
  | { kind: "url"; url: string }
  | { kind: "delimiter"; char: string; count: number; original: number; open: boolean; close: boolean }
  | { kind: "emphasis"; style: "strong" | "em" | "strike"; children: Inline[] };

export interface RenderMode {
  /** Code, links and emphasis reduced to their text (table cells, which become a code block). */
  plain?: boolean;
  /** Inside a bold span already (a heading): nested bold adds nothing. */
  bold?: boolean;
  /** Inside a link label: `&` is left alone, `<` and `>` still escaped so the link holds. */
  label?: boolean;
}

export function inline(text: string, mode: RenderMode = {}): string {
  const rendered = render(parseInline(text, 0), mode);
  // Slack opens a code block at any three backticks, even ones from two separate spans.
  return mode.plain ? rendered : breakFences(rendered);
}

const URL_START = /(?:https?:\/\/|mailto:)/iy;
const LINKABLE = /^(?:https?:\/\/|mailto:)/i;
const AUTOLINK = /<([a-z][a-z0-9+.-]{1,31}:[^\s<>]*)>/iy;
const EMAIL_AUTOLINK = /<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>/y;
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;

function parseInline(src: string, depth: number): Inline[] {
  const nodes: Inline[] = [];
  let text = "";
  const flush = (): void => {
    if (text) nodes.push({ kind: "text", text });
    text = "";
  };
  const push = (node: Inline): void => {
    flush();
    nodes.push(node);
  };
  const closingRuns = backtickRunPartners(src);
  for (let i = 0; i < src.length; ) {
    const char = src[i] ?? "";
    const next = src[i + 1] ?? "";
    if (char === "\\" && ASCII_PUNCTUATION.test(next)) {
      text += next;
      i += 2;
    } else if (char === "`") {
      const run = /`+/y;
      run.lastIndex = i;
      const length = run.exec(src)?.[0].length ?? 1;
      const closing = closingRuns.get(i);
      if (closing === undefined) {
        text += src.slice(i, i + length);
        i += length;
      } else {
        const content = src.slice(i + length, closing);
        const padded = content.length > 2 && content.startsWith(" ") && content.endsWith(" ");
        const stripped = padded && content.trim() !== "" ? content.slice(1, -1) : content;
        push({ kind: "code", content: stripped, raw: src.slice(i, closing + length) });
        i = closing + length;
      }
    } else if ((char === "[" || (char === "!" && next === "[")) && depth < MAX_LINK_DEPTH) {
      const link = parseLink(src, char === "!" ? i + 1 : i, depth);
      if (link && LINKABLE.test(link.url)) {
        push({ kind: "link", url: link.url, label: link.label });
        i = link.end;
      } else if (link) {
        // Relative, sandbox: or javascript: targets cannot be links in Slack: show them as text.
        flush();
        nodes.push(...link.label, { kind: "text", text: ` (${link.url})` });
        i = link.end;
      } else {
        text += char;
        i++;
      }
    } else if (char === "<" && matchAt(AUTOLINK, src, i)) {
      const match = matchAt(AUTOLINK, src, i) ?? ["", ""];
      if (LINKABLE.test(match[1] ?? "")) push({ kind: "url", url: match[1] ?? "" });
      else text += match[0];
      i += match[0].length;
    } else if (char === "<" && matchAt(EMAIL_AUTOLINK, src, i)) {
      const match = matchAt(EMAIL_AUTOLINK, src, i) ?? ["", ""];
      push({ kind: "link", url: `mailto:${match[1]}`, label: [{ kind: "text", text: match[1] ?? "" }] });
      i += match[0].length;
    } else if (/[hHmM]/.test(char) && !/[\p{L}\p{N}]/u.test(src[i - 1] ?? "") && matchAt(URL_START, src, i)) {
      const url = bareUrl(src, i);
      push({ kind: "url", url });
      i += url.length;
    } else if (char === "*" || char === "_" || (char === "~" && next === "~")) {
      let end = i;
      while (src[end] === char) end++;
      push(delimiter(src, i, end));
      i = end;
    } else {
      text += char;
      i++;
    }
  }
  flush();
  return matchEmphasis(nodes);
}

function matchAt(pattern: RegExp, src: string, index: number): RegExpExecArray | null {
  pattern.lastIndex = index;
  return pattern.exec(src);
}

/** For each backtick run that opens a code span, where its closing run (same length) starts. */
function backtickRunPartners(src: string): Map<number, number> {
  const runs = [...src.matchAll(/`+/g)].map((m) => ({ start: m.index, length: m[0].length }));
  const nextSameLength: number[] = [];
  const seen = new Map<number, number>();
  for (let k = runs.length - 1; k >= 0; k--) {
    const length = runs[k]?.length ?? 0;
    nextSameLength[k] = seen.get(length) ?? -1;
    seen.set(length, k);
  }
  const partners = new Map<number, number>();
  for (let k = 0; k < runs.length; ) {
    const partner = nextSameLength[k] ?? -1;
    const opener = runs[k];
    const closer = runs[partner];
    if (opener && closer) {
      partners.set(opener.start, closer.start);
      k = partner + 1; // Runs inside a code span are its content, not openers.
    } else {
      k++;
    }
  }
  return partners;
}

const URL_TRAILING_PUNCTUATION = /[?!.,:;*_~'"]$/;

function bareUrl(src: string, start: number): string {
  const candidate = /[^\s<>]*/y;
  candidate.lastIndex = start;
  let url = candidate.exec(src)?.[0] ?? "";
  for (;;) {
    if (URL_TRAILING_PUNCTUATION.test(url)) url = url.slice(0, -1);
    else if (url.endsWith(")") && url.split("(").length < url.split(")").length) url = url.slice(0, -1);
    else return url;
  }
}

/** `[label](url "title")` starting at the `[`; parentheses may nest in the URL (Wikipedia). */
function parseLink(
  src: string,
  open: number,
  depth: number,
): { label: Inline[]; url: string; end: number } | null {
  let level = 0;
  let close = -1;
  for (let i = open; i < Math.min(src.length, open + MAX_BRACKET_SCAN); i++) {
    const c = src[i];
    if (c === "\\") i++;
    else if (c === "[") level++;
    else if (c === "]" && --level === 0) {
      close = i;
      break;
    }
  }
  if (close < 0 || src[close + 1] !== "(") return null;
  let i = close + 2;
  while (src[i] === " ") i++;
  let url = "";
  if (src[i] === "<") {
    const end = src.indexOf(">", i);
    if (end < 0) return null;
    url = src.slice(i + 1, end);
    i = end + 1;
  } else {
    let parens = 0;
    for (; i < Math.min(src.length, close + MAX_BRACKET_SCAN); i++) {
      const c = src[i] ?? "";
      if (/\s/.test(c) || (c === ")" && parens === 0)) break;
      if (c === "\\" && ASCII_PUNCTUATION.test(src[i + 1] ?? "")) url += src[++i];
      else url += c;
      if (c === "(") parens++;
      if (c === ")") parens--;
    }
  }
  const title = /[ \t]*(?:"[^"]*"|'[^']*'|\([^)]*\))?[ \t]*\)/y;
  title.lastIndex = i;
  const tail = title.exec(src);
  if (!tail || !url) return null;
  return { label: parseInline(src.slice(open + 1, close), depth + 1), url, end: i + tail[0].length };
}

function delimiter(src: string, start: number, end: number): Inline {
  const char = src[start] ?? "*";
  const before = codePointBefore(src, start);
  const after = String.fromCodePoint(src.codePointAt(end) ?? 32);
  const space = (c: string): boolean => /\s/u.test(c);
  const punct = (c: string): boolean => /[\p{P}\p{S}]/u.test(c);
  const left = !space(after) && (!punct(after) || space(before) || punct(before));
  const right = !space(before) && (!punct(before) || space(after) || punct(after));
  let open = left;
  let close = right;
  if (char === "_") {
    open = left && (!right || punct(before));
    close = right && (!left || punct(after));
  }
  // `2*3*4` and `a**b**c` are arithmetic, not emphasis.
  if (char === "*" && /[A-Za-z0-9]/.test(before) && /[A-Za-z0-9]/.test(after)) open = close = false;
  const count = end - start;
  if (char === "~" && count !== 2) open = close = false;
  return { kind: "delimiter", char, count, original: count, open, close };
}

function codePointBefore(src: string, index: number): string {
  const low = src.charCodeAt(index - 1);
  const high = src.charCodeAt(index - 2);
  const isPair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  if (index < 1) return " ";
  return isPair ? src.slice(index - 2, index) : src.slice(index - 1, index);
}

/** CommonMark's delimiter matching, applied to one line's nodes. */
function matchEmphasis(input: Inline[]): Inline[] {
  const nodes = [...input];
  if (nodes.filter((n) => n.kind === "delimiter").length > MAX_DELIMITERS_PER_LINE) return nodes;
  for (let c = 0; c < nodes.length; c++) {
    const closer = nodes[c];
    if (closer?.kind !== "delimiter" || !closer.close) continue;
    for (let o = c - 1; o >= 0 && closer.count > 0; o--) {
      const opener = nodes[o];
      if (opener?.kind !== "delimiter" || !opener.open || opener.char !== closer.char || opener.count === 0)
        continue;
      const oddMatch =
        (opener.close || closer.open) &&
        (opener.original + closer.original) % 3 === 0 &&
        !(opener.original % 3 === 0 && closer.original % 3 === 0);
      if (oddMatch || (closer.char === "~" && opener.count !== closer.count)) continue;
      const used = closer.char === "~" ? 2 : opener.count >= 2 && closer.count >= 2 ? 2 : 1;
      const style = closer.char === "~" ? "strike" : used === 2 ? "strong" : "em";
      opener.count -= used;
      closer.count -= used;
      const children = nodes.splice(o + 1, c - o - 1, { kind: "emphasis", style, children: [] });
      const wrapper = nodes[o + 1];
      if (wrapper?.kind === "emphasis") wrapper.children = children;
      c = o + 2;
      if (opener.count === 0) {
        nodes.splice(o, 1);
        c--;
      }
      o = c;
    }
    if (closer.count === 0) nodes.splice(c--, 1);
  }
  return nodes;
}

function render(nodes: Inline[], mode: RenderMode): string {
  return nodes.map((node) => renderNode(node, mode)).join("");
}

function escapeFor(mode: RenderMode, text: string): string {
  if (mode.plain) return text;
  if (mode.label) return text.replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return escapeMrkdwn(text);
}

function renderNode(node: Inline, mode: RenderMode): string {
  switch (node.kind) {
    case "text":
      return escapeFor(mode, node.text);
    case "url":
      return escapeFor(mode, node.url);
    case "delimiter":
      return node.char.repeat(node.count);
    case "code":
      if (mode.plain) return node.content;
      if (node.content.includes("`") || node.content.trim() === "") return escapeFor(mode, node.raw);
      return `\`${escapeFor(mode, node.content)}\``;
    case "link": {
      const label = render(node.label, { ...mode, label: true });
      if (mode.label) return label; // Slack links cannot nest.
      if (mode.plain) return label === node.url ? label : `${label} (${node.url})`;
      const url = node.url.replace(/[<>|`\s]/g, (c) => encodeURIComponent(c));
      return label ? `<${url}|${label}>` : `<${url}>`;
    }
    case "emphasis": {
      const inner = render(node.children, node.style === "strong" ? { ...mode, bold: true } : mode);
      if (mode.plain || (node.style === "strong" && mode.bold)) return inner;
      const mark = { strong: "*", em: "_", strike: "~" }[node.style];
      return `${mark}${inner}${mark}`;
    }
  }
}
