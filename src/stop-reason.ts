/**
 * Why a request's AbortSignal fired. A person's cancel and the bot shutting down (SIGTERM: a
 * restart, an upgrade; running requests get a grace period first) end a request the same way,
 * but the person is owed different words: after a shutdown, sending the message again works.
 */
export class BotShuttingDown extends Error {
  constructor() {
    super("the bot is shutting down");
    this.name = "BotShuttingDown";
  }
}

export function stoppedByShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof BotShuttingDown;
}

/** Said in the thread, and kept in its history so the model reads the question as unanswered. */
export const SHUTDOWN_TEXT =
  "I'm shutting down (a restart or an upgrade), so this stopped before it finished. What ran so far " +
  "is above and this conversation's files are kept; send your message again once I'm back.";

/** What an aborted request tells the person, and its code for the logs and the metrics. */
export function stoppedText(signal: AbortSignal): { code: "shutting_down" | "cancelled"; text: string } {
  return stoppedByShutdown(signal)
    ? { code: "shutting_down", text: SHUTDOWN_TEXT }
    : { code: "cancelled", text: "The request was cancelled." };
}
