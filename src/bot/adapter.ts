/**
 * The contract between the core and a chat platform. An adapter turns platform events into
 * IncomingMessages and renders the reply events it is given; it holds no agent, sandbox or
 * storage logic. Optional capabilities (editing, typing) stay inside each adapter.
 */
import type { ChatFormatting } from "../present/chat-formatting.ts";
import type { ReplySink } from "../present/reply-events.ts";
import type { IncomingMessage } from "./incoming-message.ts";

export interface MessageHandler {
  handle(message: IncomingMessage, sink: ReplySink, formatting: ChatFormatting): Promise<void>;
}

export interface ChatAdapter {
  readonly platform: string;
  start(handler: MessageHandler): Promise<void>;
  stop(): Promise<void>;
}
