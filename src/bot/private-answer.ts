/**
 * A command answered to one person only (a Slack ephemeral response, a Discord ephemeral
 * reply), where no thread holds a conversation: the core handles it as usual and the words it
 * would have posted are collected instead, for the adapter to show privately.
 */
import type { ChatFormatting } from "../present/chat-formatting.ts";
import type { MessageHandler } from "./adapter.ts";
import type { IncomingMessage } from "./incoming-message.ts";

/** The commands that need no conversation: they answer from what the bot knows. */
export function answersPrivately(command: IncomingMessage["command"]): boolean {
  return command === "usage" || command === "status";
}

/** The text and error messages of the reply, in order, as Markdown. */
export async function privateAnswer(
  handler: MessageHandler,
  message: IncomingMessage,
  formatting: ChatFormatting,
): Promise<string> {
  const parts: string[] = [];
  await handler.handle(
    message,
    (event) => {
      if (event.type === "text" || event.type === "error") parts.push(event.text);
    },
    formatting,
  );
  return parts.join("\n\n");
}
