/**
 * Answers every request a previous process, or another replica that died, took on and never
 * finished (it was killed, or stopped while messages still arrived), in its own thread
 * (replica-presence.ts finds them): nobody is left waiting on a reply that will not come.
 * Nothing is re-run on its own: code may have half-run, and only the person knows whether
 * running it again is what they want, so they are asked to send it.
 */
import type { Logger } from "../logger.ts";
import type { ShownStatus } from "../present/surface.ts";
import type { OpenRequest, Store } from "../store/types.ts";
import type { ChatAdapter, ReopenedReply } from "./adapter.ts";

/** Past this, an unanswered request's thread has moved on; the row is dropped with a log line. */
const ANSWER_WITHIN_MS = 24 * 60 * 60 * 1000;

export const RESTARTED_WHILE_RUNNING =
  "I was restarted while working on this, so it stopped before it finished. Your files in " +
  "/mnt/data are kept, and your variables too unless the sandbox was lost with me (my next " +
  "answer here will say so). Please send your message again to continue.";

export const RESTARTED_WHILE_WAITING =
  "I was restarted while this was waiting for its turn, so it never ran. Please send it again.";

/** What the model reads in place of the answer that never came, so the history stays coherent. */
const NO_ANSWER_NOTE = "(I was restarted before I could finish answering this.)";

export interface InterruptedRequestsOptions {
  store: Store;
  adapters: readonly ChatAdapter[];
  logger: Logger;
  now?: () => number;
}

/** Answers what it can of `open`; returns how many requests were answered. Never throws. */
export async function answerInterruptedRequests(
  open: readonly OpenRequest[],
  options: InterruptedRequestsOptions,
): Promise<number> {
  const { logger } = options;
  let answered = 0;
  for (const request of open) {
    const log = logger.child({ conversation: request.conversationKey, request: request.id });
    try {
      if (await answerOne(request, options, log)) answered += 1;
    } catch (error) {
      log.warn({ err: error }, "could not answer a request interrupted by the restart");
    }
  }
  if (open.length > 0)
    logger.info({ open: open.length, answered }, "answered requests interrupted by the restart");
  return answered;
}

async function answerOne(
  request: OpenRequest,
  { store, adapters, now = Date.now }: InterruptedRequestsOptions,
  log: Logger,
): Promise<boolean> {
  const adapter = adapters.find((candidate) => candidate.platform === request.platform);
  const stale = now() - request.receivedAt > ANSWER_WITHIN_MS;
  if (!adapter?.reopen) {
    if (stale) {
      log.warn(
        { platform: request.platform },
        "dropping an interrupted request: its platform is gone for a day",
      );
      await store.closeOpenRequest(request.id);
    } else {
      log.warn(
        { platform: request.platform },
        "an interrupted request waits for its platform to be configured again",
      );
    }
    return false;
  }
  const running = request.startedAt !== null;
  const shown: ShownStatus = running ? "working" : "queued";
  const reply: ReopenedReply | null = await adapter.reopen(request.replyAddress, shown);
  if (!reply) {
    log.warn("an interrupted request's thread cannot be found; it gets no answer");
    await store.closeOpenRequest(request.id);
    return false;
  }
  const text = running ? RESTARTED_WHILE_RUNNING : RESTARTED_WHILE_WAITING;
  await reply.sink({ type: "error", code: "restarted", text });
  await reply.sink({ type: "status", status: "failed" });
  await reply.flushed();
  if (running) await noteMissingAnswer(store, request.conversationKey);
  await store.closeOpenRequest(request.id);
  log.info({ running }, "answered a request interrupted by the restart");
  return true;
}

/** A question left without an answer gets a note in the history, if the question is the last word. */
async function noteMissingAnswer(store: Store, conversationKey: string): Promise<void> {
  const [last] = await store.listMessages(conversationKey, { limit: 1 });
  if (last?.message.role === "user") {
    await store.appendMessages(conversationKey, [{ role: "assistant", content: NO_ANSWER_NOTE }]);
  }
}
