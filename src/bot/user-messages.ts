/** Texts the bot says on its own behalf: help, and failures turned into what to do next. */
import { BotError } from "../errors.ts";
import { currentRequestId } from "../request-context.ts";
import { type StorageFault, storageFaultOf } from "../store/storage-fault.ts";

export const HELP_TEXT = [
  "I run Python for you in a private sandbox that remembers this thread: variables, imports and files stay.",
  "• Ask in plain language: “plot revenue by month from the attached CSV”.",
  "• Attach files (CSV, Excel, images, PDFs, zips): they land in /mnt/data.",
  "• Send a ```python code block``` to run it exactly as written.",
  "• `reset` starts over (clears variables, files and history), `files` lists the files, `usage` shows what you've used today and your limits, `help` shows this.",
].join("\n");

export const NO_MODEL_TEXT =
  "I can run ```python code blocks``` right away, but answering questions in plain language needs a " +
  "language model, and none is configured. An admin can set OPENAI_API_KEY (and OPENAI_BASE_URL for a " +
  "local OpenAI-compatible server) and restart the bot.";

/**
 * What the person is told when the bot's own storage refuses a write. Their earlier files and
 * history are untouched (SQLite and the kept files never half-write), but this message may not
 * have been saved, and only an admin can fix it: each part is said, without paths or codes.
 */
const STORAGE_FAULT_TEXT: Record<StorageFault, { code: string; problem: string; fix: string }> = {
  full: {
    code: "storage_full",
    problem: "the bot's storage is full",
    fix: "An admin must free space on the bot's disk (its DATA_DIR)",
  },
  "read-only": {
    code: "storage_read_only",
    problem: "the bot's storage has become read-only",
    fix: "An admin must make the bot's data folder (its DATA_DIR) writable again",
  },
  "no-permission": {
    code: "storage_no_permission",
    problem: "the bot is no longer allowed to write to its storage",
    fix: "An admin must give the bot's user write permission on its data folder (its DATA_DIR) again",
  },
};

function storageFaultText(fault: StorageFault): { code: string; text: string } {
  const { code, problem, fix } = STORAGE_FAULT_TEXT[fault];
  const request = currentRequestId();
  return {
    code,
    text:
      `I can't save anything right now: ${problem}. Nothing from before was lost (this conversation's ` +
      `files and history are kept), but this message may not have been saved. ${fix}, then send it again.` +
      (request ? ` Reference for the admin: ${request}.` : ""),
  };
}

/**
 * Docker's failures as the person in the chat reads them: their message (commands to run, a
 * socket path) is for the admin, who finds it in the log under the reference.
 */
const SANDBOX_HOST_PROBLEM: Record<string, string> = {
  docker_unavailable: "the bot cannot reach Docker, which runs the code",
  docker_permission: "the bot is not allowed to use Docker, which runs the code",
  sandbox_image_missing: "the sandbox image the code runs in is missing",
};

function sandboxHostText(code: string, problem: string): { code: string; text: string } {
  const request = currentRequestId();
  return {
    code,
    text:
      `I can't run code right now: ${problem}. Nothing was lost (this conversation's files and history ` +
      "are kept). An admin needs to fix it; send your message again once it works." +
      (request ? ` Reference for the admin: ${request}.` : ""),
  };
}

export function userTextFor(error: unknown): { code: string; text: string } {
  // Before BotError: the store wraps these in errors whose message is for the admin's log.
  const fault = storageFaultOf(error);
  if (fault) return storageFaultText(fault);
  const hostProblem = error instanceof BotError ? SANDBOX_HOST_PROBLEM[error.code] : undefined;
  if (error instanceof BotError && hostProblem) return sandboxHostText(error.code, hostProblem);
  if (error instanceof BotError) return { code: error.code, text: error.message };
  // The id lets an admin find this request's log lines when someone reports it.
  const request = currentRequestId();
  return {
    code: "internal",
    text:
      "Something went wrong on my side while handling this message. It was logged" +
      (request ? ` (reference ${request})` : "") +
      "; please try again.",
  };
}
