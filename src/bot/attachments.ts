/**
 * Copies a message's attachments into the conversation's /mnt/data: size-capped before and
 * while downloading, safe names, no overwriting of an existing file, and an HTML sign-in
 * page served in place of the file is refused rather than taken for data.
 */

import { humanSize } from "../files/human-size.ts";
import { safeFileName, uniqueName } from "../files/safe-name.ts";
import type { Logger } from "../logger.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import type { Attachment } from "./incoming-message.ts";

export interface CopiedAttachment {
  name: string;
  size: number;
  mime: string;
}

export interface AttachmentProblem {
  name: string;
  reason: string;
}

function looksLikeHtml(data: Buffer): boolean {
  const head = data.subarray(0, 512).toString("utf8").trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html");
}

export async function copyAttachments(
  attachments: Attachment[],
  session: SandboxSession,
  options: { maxBytes: number; logger: Logger; signal?: AbortSignal },
): Promise<{ copied: CopiedAttachment[]; problems: AttachmentProblem[] }> {
  const copied: CopiedAttachment[] = [];
  const problems: AttachmentProblem[] = [];
  if (attachments.length === 0) return { copied, problems };
  const taken = new Set((await session.listFiles()).map((file) => file.path));
  for (const attachment of attachments) {
    const shownName = attachment.name || "unnamed file";
    if (attachment.size !== null && attachment.size > options.maxBytes) {
      problems.push({
        name: shownName,
        reason: `it is ${humanSize(attachment.size)}, over the ${humanSize(options.maxBytes)} limit for attachments`,
      });
      continue;
    }
    let data: Buffer;
    try {
      data = await attachment.fetch(options.maxBytes, options.signal);
    } catch (error) {
      options.logger.warn({ err: error, attachment: shownName }, "attachment download failed");
      problems.push({ name: shownName, reason: `it could not be downloaded (${(error as Error).message})` });
      continue;
    }
    if (data.length > options.maxBytes) {
      problems.push({
        name: shownName,
        reason: `it is over the ${humanSize(options.maxBytes)} limit for attachments`,
      });
      continue;
    }
    const declaredHtml = /html/i.test(attachment.mimeType) || /\.html?$/i.test(attachment.name);
    if (!declaredHtml && looksLikeHtml(data)) {
      problems.push({
        name: shownName,
        reason:
          "the download returned a web page instead of the file (the bot may lack permission to read files)",
      });
      continue;
    }
    const name = uniqueName(safeFileName(attachment.name, "attachment"), (candidate) => taken.has(candidate));
    await session.putFile(name, data);
    taken.add(name);
    copied.push({ name, size: data.length, mime: attachment.mimeType || "application/octet-stream" });
  }
  return { copied, problems };
}
