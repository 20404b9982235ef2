/**
 * The rules Discord applies to a message body before it creates or edits a message, answered
 * with Discord's own errors: 2000 characters of content, ten embeds, ten files, the upload size
 * limit (413), and "Cannot send an empty message" (50006).
 */
import type { UploadedFile } from "./multipart.ts";
import { ErrorCode } from "./protocol.ts";
import { type Answer, fail, invalidFormBody } from "./wire.ts";

export const MAX_CONTENT_CHARS = 2_000;
export const MAX_EMBEDS = 10;
export const MAX_ATTACHMENTS = 10;
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export function checkFields(json: Record<string, unknown>): Answer | undefined {
  const { content, embeds } = json;
  if (content !== undefined && content !== null && typeof content !== "string") {
    return invalidFormBody(["content"], "STRING_TYPE_CONVERT", "Could not interpret value as string.");
  }
  // Discord counts characters as the client does (code points), not UTF-16 units.
  if (typeof content === "string" && [...content].length > MAX_CONTENT_CHARS) {
    return invalidFormBody(
      ["content"],
      "BASE_TYPE_MAX_LENGTH",
      `Must be ${MAX_CONTENT_CHARS} or fewer in length.`,
    );
  }
  if (Array.isArray(embeds) && embeds.length > MAX_EMBEDS) {
    return invalidFormBody(["embeds"], "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_EMBEDS} or fewer in length.`);
  }
  return undefined;
}

export function checkFiles(files: UploadedFile[], maxUploadBytes: number): Answer | undefined {
  const total = files.reduce((sum, file) => sum + file.data.length, 0);
  if (total > maxUploadBytes) return fail(413, ErrorCode.RequestEntityTooLarge, "Request entity too large");
  if (files.length > MAX_ATTACHMENTS) {
    return invalidFormBody(
      ["attachments"],
      "BASE_TYPE_MAX_LENGTH",
      `Must be ${MAX_ATTACHMENTS} or fewer in length.`,
    );
  }
  return undefined;
}

export interface MessageParts {
  content: string;
  embeds: unknown[];
  components: unknown[];
  attachmentCount: number;
  stickers: boolean;
  poll: boolean;
}

/** Content of only whitespace counts as none, as in Discord. */
export function isEmpty(parts: MessageParts): boolean {
  return (
    parts.content.trim() === "" &&
    parts.embeds.length === 0 &&
    parts.components.length === 0 &&
    parts.attachmentCount === 0 &&
    !parts.stickers &&
    !parts.poll
  );
}

export function emptyMessage(): Answer {
  return fail(400, ErrorCode.EmptyMessage, "Cannot send an empty message");
}
