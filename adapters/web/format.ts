/**
 * The web chat's text: Markdown itself. The surface keeps the Markdown the model and the
 * presenter write and renders it when it is shown (web-render.ts), so edits and reloads
 * always render the latest source. Literal text is backslash-escaped, code gets a fence longer
 * than any backtick run inside it (so the code stays byte-exact), and a run's output gets the
 * `output` fence the renderer shows as collapsible. Pure.
 */
import type { ChatFormatting } from "../../src/present/chat-formatting.ts";
import { EMOJI_ICONS } from "../../src/present/emoji-icons.ts";
import type { SurfaceLimits, SurfaceText } from "../../src/present/surface.ts";
import { trimTrailingNewlines } from "../shared/fences.ts";
import { splitText } from "../shared/split-text.ts";

/**
 * A page shows long posts well, but one post per screenful keeps a long answer readable and
 * lets it arrive in parts like on the other platforms (the adapter contract checks it does).
 */
export const WEB_TEXT_LIMIT = 8_000;
/** The fence info the renderer shows as a run's collapsible output. */
export const OUTPUT_FENCE = "output";

export const WEB_LIMITS: SurfaceLimits = {
  messageChars: WEB_TEXT_LIMIT,
  codeChars: 6_000,
  outputChars: 6_000,
  // The files a run makes are capped by the sandbox (SANDBOX_MAX_FILE_MB); this is a backstop.
  uploadBytes: 1024 * 1024 * 1024,
};

export const WEB_FORMATTING: ChatFormatting = {
  name: "web",
  promptHint:
    "You answer in a web chat that renders Markdown (headings, lists, tables, links, code blocks with " +
    "syntax highlighting). Charts and files your code saves appear in the chat by themselves.",
};

/** A backslash before every ASCII punctuation mark Markdown could read; line breaks stay breaks. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&"]/g, "\\$&").replace(/\r?\n(?!$)/g, "\\\n");
}

export function webCodeBlock(code: string, maxChars: number, language?: "python"): string | null {
  const body = trimTrailingNewlines(code);
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longestRun + 1));
  const block = `${fence}${language ?? OUTPUT_FENCE}\n${body}\n${fence}`;
  return block.length <= maxChars ? block : null;
}

export const WEB_TEXT: SurfaceText = {
  fromMarkdown: (markdown) => markdown,
  literal: escapeMarkdown,
  codeBlock: webCodeBlock,
  split: (text, limit) => splitText(text, limit),
  icons: EMOJI_ICONS,
};
