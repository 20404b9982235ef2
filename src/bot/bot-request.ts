/** One request on its way through the bot, so the steps need not pass each piece along. */
import type { Logger } from "../logger.ts";
import type { ChatFormatting } from "../present/chat-formatting.ts";
import type { ReplySink } from "../present/reply-events.ts";
import type { RequestMeter } from "../usage/request-meter.ts";
import type { IncomingMessage } from "./incoming-message.ts";
import type { Arrival } from "./open-requests.ts";

export interface RequestContext {
  key: string;
  message: IncomingMessage;
  emit: ReplySink;
  formatting: ChatFormatting;
  log: Logger;
  admin: boolean;
  /** Null for commands, which are not recorded as usage. */
  meter: RequestMeter | null;
  /** Its place in the conversation's order across replicas. */
  arrival: Arrival;
  /** Marks the request as begun, once the conversation's turn is its own. */
  begun(): Promise<void>;
  /** Says the request waits for its turn (unless it already said so). */
  waiting(): Promise<void>;
}

/** The name the history keeps beside a person's message. */
export function author(message: IncomingMessage): { author?: string } {
  const name = message.author.name ?? message.author.id;
  return name ? { author: name } : {};
}
