/** Texts the bot says on its own behalf: help, and failures turned into what to do next. */
import { BotError } from "../errors.ts";
import { currentRequestId } from "../request-context.ts";

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

export function userTextFor(error: unknown): { code: string; text: string } {
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
