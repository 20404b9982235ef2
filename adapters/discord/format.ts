/**
 * Discord's text: it renders the Markdown a model writes (bold, italics, lists, headings, code
 * blocks, masked links), so text passes through; what is left is splitting at 2,000 characters
 * without breaking a code block, escaping literal text, and code blocks that cannot be closed
 * early by the code they show. Pure.
 */
import type { ChatFormatting } from "../../src/present/chat-formatting.ts";
import { EMOJI_ICONS } from "../../src/present/emoji-icons.ts";
import type { SurfaceLimits, SurfaceText } from "../../src/present/surface.ts";
import { breakFences, trimTrailingNewlines } from "../shared/fences.ts";
import { splitText } from "../shared/split-text.ts";
import { defuse, defuseMentions } from "./mentions.ts";

export const DISCORD_TEXT_LIMIT = 2_000;
/** Links, mentions, custom emoji and inline code: cutting inside them garbles both halves. */
const DISCORD_KEEP_TOGETHER =
  /\[[^\]\n]{1,200}\]\([^)\s]{1,1000}\)|<[@#:a-z!&][^<>\s]{1,100}>|`[^`\n]{1,200}`/g;

export const DISCORD_FORMATTING: ChatFormatting = {
  name: "discord",
  promptHint:
    "You answer in a Discord thread, which renders Markdown (bold, code blocks, lists, headings). " +
    "Keep each message short: Discord splits long ones. Tables do not render there: use lists or a code block.",
};

/** A backslash before every character Discord would read as Markdown. */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|>#[\]()-]/g, "\\$&").replace(/^(\s*)(\d+)\./gm, "$1$2\\.");
}

export function discordCodeBlock(code: string, maxChars: number, language?: "python"): string | null {
  const block = `\`\`\`${language === "python" ? "py" : ""}\n${breakFences(trimTrailingNewlines(code))}\n\`\`\``;
  return block.length <= maxChars ? block : null;
}

export function splitForDiscord(text: string, limit = DISCORD_TEXT_LIMIT): string[] {
  return splitText(text, limit, { keepTogether: DISCORD_KEEP_TOGETHER });
}

export function discordLimits(uploadBytes: number): SurfaceLimits {
  return { messageChars: DISCORD_TEXT_LIMIT, codeChars: 1_500, outputChars: 1_400, uploadBytes };
}

export const DISCORD_TEXT: SurfaceText = {
  fromMarkdown: defuseMentions,
  literal: (text) => defuse(escapeDiscord(text)),
  codeBlock: discordCodeBlock,
  split: splitForDiscord,
  icons: EMOJI_ICONS,
};
