/**
 * A chat platform in memory: messages go in as plain objects, replies are recorded in order.
 * Tests drive the core through it; it is also the simplest example of the adapter contract.
 */

import { randomUUID } from "node:crypto";
import { PLAIN_MARKDOWN } from "../present/chat-formatting.ts";
import type { ReplyEvent } from "../present/reply-events.ts";
import type { ChatAdapter, MessageHandler } from "./adapter.ts";
import { type Attachment, AttachmentTooLargeError, type IncomingMessage } from "./incoming-message.ts";

export interface InMemoryMessage {
  text: string;
  thread?: string;
  /** `declaredSize` is the size the platform claims (a lying server's); the data's length by default. */
  attachments?: Array<InMemoryFile>;
  command?: IncomingMessage["command"];
  forceDirectRun?: boolean;
  deliveryId?: string;
  author?: string;
  /** False for a message in a thread that does not mention the bot; default true. */
  addressed?: boolean;
}

export class InMemoryAdapter implements ChatAdapter {
  readonly platform = "memory";
  private handler: MessageHandler | null = null;
  /** Every reply event, per thread, in the order the core sent them. */
  readonly threads = new Map<string, ReplyEvent[]>();

  async start(handler: MessageHandler): Promise<void> {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.handler = null;
  }

  /** Delivers a message and resolves with the events of its reply. */
  async send(message: InMemoryMessage): Promise<ReplyEvent[]> {
    if (!this.handler) throw new Error("the in-memory adapter is not started");
    const thread = message.thread ?? "thread-1";
    const events: ReplyEvent[] = [];
    const all = this.threads.get(thread) ?? [];
    this.threads.set(thread, all);
    const incoming: IncomingMessage = {
      deliveryId: message.deliveryId ?? randomUUID(),
      conversation: { platform: this.platform, workspace: "local", channel: "general", thread },
      author: { id: message.author ?? "user-1", name: message.author ?? "Ada" },
      text: message.text,
      attachments: (message.attachments ?? []).map(toAttachment),
      addressed: message.addressed ?? true,
      ...(message.command ? { command: message.command } : {}),
      ...(message.forceDirectRun ? { forceDirectRun: true } : {}),
    };
    await this.handler.handle(
      incoming,
      (event) => {
        events.push(event);
        all.push(event);
      },
      PLAIN_MARKDOWN,
    );
    return events;
  }
}

interface InMemoryFile {
  name: string;
  data: Buffer;
  mimeType?: string;
  declaredSize?: number | null;
}

function toAttachment(file: InMemoryFile): Attachment {
  return {
    name: file.name,
    mimeType: file.mimeType ?? "application/octet-stream",
    size: file.declaredSize === undefined ? file.data.length : file.declaredSize,
    fetch: async (maxBytes) => {
      if (file.data.length > maxBytes) throw new AttachmentTooLargeError(maxBytes);
      return file.data;
    },
  };
}
