/**
 * Copies a message's attachments into the conversation's /mnt/data: size-capped before and
 * while downloading, safe names (said in the reply when they had to change), no overwriting
 * of an existing file, and a web page served or saved in place of the file refused rather than
 * taken for data. Each attachment's trouble is its own: it is told, logged, and the others of
 * the message still arrive. Files that look damaged still land, for the code to try.
 */

import { checkContent } from "../files/content-checks.ts";
import { humanSize } from "../files/human-size.ts";
import { nameProblems, printableName } from "../files/name-checks.ts";
import { safeFileName, uniqueName } from "../files/safe-name.ts";
import type { Logger } from "../logger.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import { type Attachment, AttachmentTooLargeError } from "./incoming-message.ts";

export interface CopiedAttachment {
  name: string;
  size: number;
  mime: string;
}

export interface AttachmentProblem {
  /** Safe to quote: invisible characters spelled out. */
  name: string;
  reason: string;
}

export interface CopiedAttachments {
  copied: CopiedAttachment[];
  /** Attachments not kept, each told as "I could not use NAME: REASON." */
  problems: AttachmentProblem[];
  /** Whole sentences about attachments that were kept but renamed or look damaged. */
  notes: string[];
}

const TOO_BIG_ADVICE =
  "Send a smaller file (compressed, or only the part you need), or ask an admin to raise MAX_ATTACHMENT_MB";

export async function copyAttachments(
  attachments: Attachment[],
  session: SandboxSession,
  options: { maxBytes: number; logger: Logger; signal?: AbortSignal },
): Promise<CopiedAttachments> {
  const result: CopiedAttachments = { copied: [], problems: [], notes: [] };
  if (attachments.length === 0) return result;
  const taken = new Set((await session.listFiles()).map((file) => file.path));
  const limit = humanSize(options.maxBytes);
  for (const attachment of attachments) {
    const shownName = attachment.name ? printableName(attachment.name) : "unnamed file";
    const log = options.logger.child({ attachment: shownName, declaredBytes: attachment.size });
    const refuse = (reason: string, why: string) => {
      log.warn({ reason }, why);
      result.problems.push({ name: shownName, reason });
    };
    if (attachment.size !== null && attachment.size > options.maxBytes) {
      refuse(
        `it is ${humanSize(attachment.size)}, over the ${limit} limit for attachments. ${TOO_BIG_ADVICE}`,
        "attachment refused: declared size over the limit",
      );
      continue;
    }
    let data: Buffer;
    try {
      data = await attachment.fetch(options.maxBytes, options.signal);
    } catch (error) {
      if (error instanceof AttachmentTooLargeError) {
        refuse(
          tooLargeOnArrival(attachment.size, limit),
          "attachment refused: more bytes arrived than the limit",
        );
      } else {
        log.warn({ err: error }, "attachment download failed");
        result.problems.push({
          name: shownName,
          reason: `it could not be downloaded (${(error as Error).message})`,
        });
      }
      continue;
    }
    if (data.length > options.maxBytes) {
      refuse(
        tooLargeOnArrival(attachment.size, limit),
        "attachment refused: more bytes arrived than the limit",
      );
      continue;
    }
    const verdict = await checkContent(attachment.name, attachment.mimeType, data, {
      unpackLimitBytes: session.limits.dataMb * 1024 * 1024,
    });
    if (verdict.kind === "refuse") {
      refuse(verdict.reason, "attachment refused: its content is not what its name says");
      continue;
    }
    const name = uniqueName(safeFileName(attachment.name, "attachment"), (candidate) => taken.has(candidate));
    await session.putFile(name, data);
    taken.add(name);
    result.copied.push({ name, size: data.length, mime: attachment.mimeType || "application/octet-stream" });
    const renamed = nameProblems(attachment.name);
    if (renamed.length > 0) {
      log.warn({ savedAs: name, problems: renamed }, "attachment renamed to a safe name");
      result.notes.push(
        `The name of "${shownName}" was not safe: ${renamed.join("; ")}. It is in /mnt/data as ${name}.`,
      );
    }
    if (verdict.kind === "warn") {
      log.warn({ savedAs: name, reason: verdict.reason }, "attachment kept with a warning");
      result.notes.push(
        `${name}: ${verdict.reason}. It is in /mnt/data as ${name} all the same, for code to try.`,
      );
    }
  }
  return result;
}

/** The platform said one size (or none) and the download ran past the limit. */
function tooLargeOnArrival(declared: number | null, limit: string): string {
  const said =
    declared === null ? "its size was not given in advance" : `it was announced as ${humanSize(declared)}`;
  return `${said}, but the download ran past the ${limit} limit for attachments, so it was stopped and nothing was kept. ${TOO_BIG_ADVICE}`;
}
