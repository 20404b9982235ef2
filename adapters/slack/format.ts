/**
 * The Markdown a model writes → Slack mrkdwn, and long text → messages Slack accepts. Pure.
 * Slack has its own dialect: `*bold*`, `_italic_`, `~strike~`, `<url|text>` links, no headings,
 * lists or tables, and `&`, `<`, `>` must be sent as entities everywhere, code included.
 */
import type { ChatFormatting } from "../../src/present/chat-formatting.ts";
import { breakFences, trimTrailingNewlines } from "../shared/fences.ts";
import { splitText } from "../shared/split-text.ts";
import { escapeMrkdwn, inline } from "./markdown-inline.ts";

export { escapeMrkdwn };

export const SLACK_FORMATTING: ChatFormatting = {
  name: "slack",
  promptHint:
    "You answer in a Slack thread. Write standard Markdown (**bold**, `code`, ```code blocks```, lists, " +
    "[links](url)); the bot converts it to Slack's format. Avoid tables wider than a phone screen and headings.",
};

/** Safe below Slack's 4,000-character guidance for one message's text. */
export const SLACK_TEXT_LIMIT = 3_900;
const RULE = "─".repeat(20);
const MAX_QUOTE_DEPTH = 4;
/** Entities, the links we generate and inline code: cutting inside them garbles both halves. */
const SLACK_KEEP_TOGETHER = /&(?:amp|lt|gt);|<[^<>\n]{1,2000}>|`[^`\n]{1,200}`/g;

/** A code block for `code`, or null when it does not fit in `maxChars` (upload it instead). */
export function codeBlock(code: string, maxChars: number): string | null {
  const block = `\`\`\`\n${escapeMrkdwn(breakFences(trimTrailingNewlines(code)))}\n\`\`\``;
  return block.length <= maxChars ? block : null;
}

export function splitForSlack(text: string, limit = SLACK_TEXT_LIMIT): string[] {
  return splitText(text, limit, { keepTogether: SLACK_KEEP_TOGETHER });
}

export function markdownToMrkdwn(markdown: string): string {
  try {
    return convertBlocks(markdown.replace(/\r\n?/g, "\n").split("\n"), 0).join("\n");
  } catch {
    // A converter bug must not cost the user the reply: plain escaped text still reads well.
    return escapeMrkdwn(markdown);
  }
}

// ── Blocks ───────────────────────────────────────────────────────────────────────────────

const FENCE_OPEN = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const RULE_LINE = /^ {0,3}([-*_])[ \t]*(?:\1[ \t]*){2,}$/;
const BULLET = /^([ \t]*)[-*+][ \t]+(.*)$/;
const TASK = /^\[([ xX])\][ \t]+(.*)$/;
const ORDERED = /^([ \t]*\d{1,9}[.)][ \t]+)(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const TABLE_SEPARATOR = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

function convertBlocks(lines: string[], depth: number): string[] {
  const out: string[] = [];
  let previousWasParagraph = false;
  for (let i = 0; i < lines.length; ) {
    const line = lines[i] ?? "";
    let paragraph = false;
    const fence = FENCE_OPEN.exec(line);
    if (fence && !(fence[2]?.startsWith("`") && fence[3]?.includes("`"))) {
      i = codeFence(lines, i, fence[1]?.length ?? 0, fence[2] ?? "```", out);
      previousWasParagraph = false;
      continue;
    }
    const table = tableAt(lines, i);
    if (table) {
      out.push(...table.rendered);
      i = table.next;
      previousWasParagraph = false;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i] ?? ""); i++)
        quoted.push(QUOTE.exec(lines[i] ?? "")?.[1] ?? "");
      const inner = depth < MAX_QUOTE_DEPTH ? convertBlocks(quoted, depth + 1) : quoted.map((q) => inline(q));
      out.push(...inner.map((q) => (q ? `> ${q}` : ">")));
      previousWasParagraph = false;
      continue;
    }
    const heading = HEADING.exec(line);
    const bullet = BULLET.exec(line);
    const ordered = ORDERED.exec(line);
    if (heading) {
      out.push(headingText(line.slice(heading[0].length).replace(/(?:^|[ \t])#+[ \t]*$/, "")));
    } else if (previousWasParagraph && SETEXT_UNDERLINE.test(line)) {
      out[out.length - 1] = headingText(lines[i - 1] ?? "");
    } else if (RULE_LINE.test(line)) {
      out.push(RULE);
    } else if (bullet) {
      const task = TASK.exec(bullet[2] ?? "");
      const marker = task ? (task[1] === " " ? "☐" : "☑") : "•";
      out.push(`${bullet[1] ?? ""}${marker} ${inline(task ? (task[2] ?? "") : (bullet[2] ?? ""))}`);
    } else if (ordered) {
      out.push(`${ordered[1] ?? ""}${inline(ordered[2] ?? "")}`);
    } else if (line.trim() === "") {
      out.push(line);
    } else {
      const indent = /^[ \t]*/.exec(line)?.[0] ?? "";
      out.push(indent + inline(line.slice(indent.length)));
      paragraph = true;
    }
    previousWasParagraph = paragraph;
    i++;
  }
  return out;
}

function headingText(text: string): string {
  const content = inline(text.trim(), { bold: true });
  return content ? `*${content}*` : "";
}

/** Emits the block starting at `start`; returns the index after its closing fence. */
function codeFence(lines: string[], start: number, indent: number, fence: string, out: string[]): number {
  out.push("```");
  let i = start + 1;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const close = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(line)?.[1];
    if (close && close[0] === fence[0] && close.length >= fence.length) {
      i++;
      break;
    }
    const removable = /^ */.exec(line)?.[0].length ?? 0;
    out.push(escapeMrkdwn(breakFences(line.slice(Math.min(indent, removable)))));
  }
  // An unclosed block (a reply still streaming, or a model slip) is closed so it renders.
  out.push("```");
  return i;
}

function tableCells(line: string): string[] {
  const trimmed = line
    .trim()
    .replace(/^\|/, "")
    .replace(/(?<!\\)\|$/, "");
  return trimmed.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll("\\|", "|"));
}

function tableAt(lines: string[], start: number): { rendered: string[]; next: number } | null {
  const header = lines[start] ?? "";
  const separator = lines[start + 1] ?? "";
  if (!header.includes("|") || !TABLE_SEPARATOR.test(separator) || !separator.includes("|")) return null;
  const aligns = tableCells(separator).map((cell) =>
    cell.endsWith(":") ? (cell.startsWith(":") ? "center" : "right") : "left",
  );
  if (tableCells(header).length !== aligns.length) return null;
  const rows = [tableCells(header)];
  let next = start + 2;
  for (; next < lines.length && (lines[next] ?? "").includes("|") && (lines[next] ?? "").trim(); next++) {
    rows.push(tableCells(lines[next] ?? ""));
  }
  const plain = rows.map((row) =>
    row.map((cell) => inline(cell.replace(/<br\s*\/?>/gi, " "), { plain: true })),
  );
  const widths: number[] = [];
  for (const row of plain) {
    for (const [c, cell] of row.entries()) widths[c] = Math.max(widths[c] ?? 1, width(cell));
  }
  const pad = (text: string, c: number): string => {
    const gap = (widths[c] ?? 0) - width(text);
    const align = aligns[c] ?? "left";
    const left = align === "right" ? gap : align === "center" ? Math.floor(gap / 2) : 0;
    return " ".repeat(left) + text + " ".repeat(gap - left);
  };
  const render = (row: string[]): string =>
    widths
      .map((_, c) => pad(row[c] ?? "", c))
      .join(" | ")
      .trimEnd();
  const body = [
    render(plain[0] ?? []),
    widths.map((w) => "-".repeat(w)).join("-+-"),
    ...plain.slice(1).map(render),
  ];
  return { rendered: ["```", ...body.map((row) => escapeMrkdwn(breakFences(row))), "```"], next };
}

/** Monospace columns: East Asian wide characters and most emoji take two cells. */
function width(text: string): number {
  let cells = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd);
    cells += wide ? 2 : 1;
  }
  return cells;
}
