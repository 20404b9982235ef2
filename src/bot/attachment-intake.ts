/**
 * A message's attachments, received: copied into the session, each one the bot could not use
 * or had to rename told to the person, and the line the model reads about what arrived.
 */
import type { Logger } from "../logger.ts";
import type { ReplySink } from "../present/reply-events.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import { type CopiedAttachment, copyAttachments } from "./attachments.ts";
import type { Attachment } from "./incoming-message.ts";

export interface ReceivedAttachments {
  copied: CopiedAttachment[];
  /** For the model, after the person's words; empty when nothing arrived. */
  note: string;
}

export async function receiveAttachments(
  attachments: Attachment[],
  session: SandboxSession,
  options: { maxBytes: number; logger: Logger; signal: AbortSignal; emit: ReplySink },
): Promise<ReceivedAttachments> {
  const { copied, problems, notes } = await copyAttachments(attachments, session, options);
  const refused = problems.map((problem) => `I could not use ${problem.name}: ${problem.reason}.`);
  for (const text of [...refused, ...notes]) await options.emit({ type: "notice", text });
  const note = copied.length
    ? `\n\n[Attached, now in /mnt/data: ${copied.map((c) => `${c.name} (${c.size} bytes)`).join(", ")}]`
    : "";
  return { copied, note };
}
