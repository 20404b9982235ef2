/**
 * The message limits Slack enforces that a bot is likely to hit with long model output:
 * text length, block count and block text lengths, answered with Slack's error codes and
 * its `[ERROR] ... [json-pointer:...]` messages.
 */
import { isRecord } from "./wire.ts";

export interface ApiFailure {
  ok: false;
  error: string;
  [key: string]: unknown;
}

export const MAX_TEXT_CHARS = 40_000;
export const MAX_BLOCKS = 50;
export const MAX_SECTION_TEXT_CHARS = 3_000;
const MAX_SECTION_FIELDS = 10;
const MAX_FIELD_TEXT_CHARS = 2_000;
const MAX_HEADER_TEXT_CHARS = 150;

export function failure(error: string, messages: string[] = []): ApiFailure {
  return messages.length === 0
    ? { ok: false, error }
    : { ok: false, error, response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } };
}

export function missingArgument(field: string): ApiFailure {
  return failure("invalid_arguments", [`missing required field: ${field}`]);
}

/** `chat.postMessage`, `chat.postEphemeral` and `chat.update` share these checks. */
export function checkMessageContent(args: Record<string, unknown>): ApiFailure | undefined {
  const text = args.text;
  const hasText = typeof text === "string" && text.length > 0;
  if (!hasText && args.blocks === undefined && args.attachments === undefined) return failure("no_text");
  if (typeof text === "string" && text.length > MAX_TEXT_CHARS) return failure("msg_too_long");
  if (args.blocks === undefined) return undefined;
  return checkBlocks(args.blocks);
}

function checkBlocks(blocks: unknown): ApiFailure | undefined {
  if (!Array.isArray(blocks)) return failure("invalid_blocks_format");
  const problems: string[] = [];
  if (blocks.length > MAX_BLOCKS)
    problems.push(`no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  blocks.forEach((block: unknown, index) => {
    problems.push(...blockProblems(block, `/blocks/${index}`));
  });
  if (problems.length === 0) return undefined;
  return { ...failure("invalid_blocks", problems), errors: problems };
}

function blockProblems(block: unknown, pointer: string): string[] {
  if (!isRecord(block) || typeof block.type !== "string") {
    return [`missing required field: type [json-pointer:${pointer}]`];
  }
  if (block.type === "header") {
    return textProblems(block.text, MAX_HEADER_TEXT_CHARS, `${pointer}/text`);
  }
  if (block.type !== "section") return [];
  const problems: string[] = [];
  if (block.text === undefined && block.fields === undefined) {
    problems.push(`must provide either text or fields [json-pointer:${pointer}]`);
  }
  if (block.text !== undefined)
    problems.push(...textProblems(block.text, MAX_SECTION_TEXT_CHARS, `${pointer}/text`));
  if (Array.isArray(block.fields)) {
    if (block.fields.length > MAX_SECTION_FIELDS) {
      problems.push(`no more than ${MAX_SECTION_FIELDS} items allowed [json-pointer:${pointer}/fields]`);
    }
    block.fields.forEach((field: unknown, index) => {
      problems.push(...textProblems(field, MAX_FIELD_TEXT_CHARS, `${pointer}/fields/${index}`));
    });
  }
  return problems;
}

function textProblems(text: unknown, max: number, pointer: string): string[] {
  if (!isRecord(text) || typeof text.text !== "string") {
    return [`must provide an object [json-pointer:${pointer}]`];
  }
  return text.text.length > max
    ? [`must be less than ${max + 1} characters [json-pointer:${pointer}/text]`]
    : [];
}
