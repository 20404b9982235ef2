/**
 * A message the page sends: multipart with the text, a client id (a resent message is the
 * same message) and the files, or JSON with the text alone for scripts. Files are streamed to
 * the file store as they arrive and cut off at MAX_ATTACHMENT_MB; one over the cap is dropped
 * and handed on without bytes, so the core tells the user, in the conversation, what was
 * left out and why, as it does for Slack and Discord.
 */
import type { FastifyRequest } from "fastify";
import type { Attachment } from "../../src/bot/incoming-message.ts";
import { humanSize } from "../../src/files/human-size.ts";
import { safeFileName } from "../../src/files/safe-name.ts";
import type { WebFileStore } from "./web-file-store.ts";

export interface UploadedFile {
  name: string;
  mime: string;
  /** The size the page declared, checked against the bytes; null when it said none. */
  declaredSize: number | null;
  /** Null when the file was over the cap and dropped. */
  stored: { sha256: string; size: number } | null;
}

export interface MessageForm {
  text: string;
  clientId: string | null;
  files: UploadedFile[];
}

export const MAX_TEXT_BYTES = 256 * 1024;
export const MAX_FILES = 10;
const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;

export class FormError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export async function readMessageForm(
  request: FastifyRequest,
  store: WebFileStore,
  maxFileBytes: number,
): Promise<MessageForm> {
  if (!request.isMultipart()) {
    const body = request.body as { text?: unknown; clientId?: unknown } | null;
    if (typeof body?.text !== "string") throw new FormError(400, 'Send the message as { "text": "…" }.');
    return { text: body.text, clientId: clientIdOf(body.clientId), files: [] };
  }
  let text = "";
  let clientId: string | null = null;
  let sizes: number[] = [];
  const files: UploadedFile[] = [];
  const parts = request.parts({
    limits: { fileSize: maxFileBytes, files: MAX_FILES, fields: 10, fieldSize: MAX_TEXT_BYTES, parts: 30 },
  });
  for await (const part of parts) {
    if (part.type === "field") {
      if (part.valueTruncated) throw new FormError(413, `The message is over ${humanSize(MAX_TEXT_BYTES)}.`);
      const value = typeof part.value === "string" ? part.value : "";
      if (part.fieldname === "text") text = value;
      else if (part.fieldname === "clientId") clientId = clientIdOf(value);
      else if (part.fieldname === "sizes") sizes = declaredSizes(value);
      continue;
    }
    const stream = part.file;
    const stored = await store.saveStream(stream, maxFileBytes, () => stream.truncated);
    const declared = sizes[files.length];
    files.push({
      name: safeFileName(part.filename, "attachment"),
      mime: part.mimetype || "application/octet-stream",
      declaredSize: declared ?? null,
      stored,
    });
  }
  return { text, clientId, files };
}

/** What the core copies into the sandbox: the stored bytes, or the reason there are none. */
export function toAttachment(file: UploadedFile, store: WebFileStore, maxFileBytes: number): Attachment {
  const stored = file.stored;
  // A dropped file is at least one byte over the cap, whatever the page declared.
  const size = stored ? stored.size : Math.max(file.declaredSize ?? 0, maxFileBytes + 1);
  return {
    name: file.name,
    mimeType: file.mime,
    size: stored || file.declaredSize !== null ? size : null,
    fetch: async (maxBytes) => {
      if (!stored || stored.size > maxBytes) {
        throw new FormError(
          413,
          `it is larger than the ${humanSize(Math.min(maxBytes, maxFileBytes))} limit`,
        );
      }
      const chunks: Buffer[] = [];
      for await (const chunk of store.open(stored.sha256)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

function clientIdOf(value: unknown): string | null {
  return typeof value === "string" && CLIENT_ID.test(value) ? value : null;
}

function declaredSizes(value: string): number[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((n) => Number.isSafeInteger(n) && n >= 0))
      return parsed as number[];
  } catch {
    // A page that sends no sizes, or nonsense, gets the generic message about a dropped file.
  }
  return [];
}
