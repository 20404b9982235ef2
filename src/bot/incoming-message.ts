/**
 * What an adapter hands the bot for one chat message, platform-neutral. Adapters fill it
 * from events; the core never sees a Slack or Discord payload.
 */
import { UserFacingError } from "../errors.ts";
import type { ReplyAddress } from "../store/types.ts";

export interface ConversationKey {
  platform: string;
  /** Slack team or Discord guild ("dm" where there is none). */
  workspace: string;
  channel: string;
  /** The thread the conversation lives in (the root message's id). */
  thread: string;
}

export function conversationKeyString(key: ConversationKey): string {
  return [key.platform, key.workspace, key.channel, key.thread]
    .map((part) => part.replaceAll(":", "_"))
    .join(":");
}

/**
 * Who sent a message, the same across conversations and distinct across platforms: the owner
 * the sandbox takes turns by, so one person's many requests cannot starve another's one.
 */
export function authorKeyString(message: Pick<IncomingMessage, "conversation" | "author">): string {
  return [message.conversation.platform, message.author.id]
    .map((part) => part.replaceAll(":", "_"))
    .join(":");
}

/**
 * What `Attachment.fetch` rejects with when the bytes run past `maxBytes` (a server that sent
 * more than it declared), so the reply can say it was the size and not the network.
 */
export class AttachmentTooLargeError extends UserFacingError {
  constructor(
    readonly limitBytes: number,
    message = `it is larger than the ${Math.round(limitBytes / 1024 / 1024)} MB limit`,
  ) {
    super("attachment_too_large", message);
  }
}

export interface Attachment {
  name: string;
  /** As the platform reported it; checked again against the bytes. */
  mimeType: string;
  /** As the platform reported it; null when unknown. */
  size: number | null;
  /** Downloads the bytes; must reject (with AttachmentTooLargeError) rather than read past `maxBytes`. */
  fetch: (maxBytes: number, signal?: AbortSignal) => Promise<Buffer>;
}

export type BotCommand = "reset" | "files" | "help" | "usage" | "status";

export interface IncomingMessage {
  /** The platform's id for this delivery (event id, message id): a repeat is handled once. */
  deliveryId: string;
  conversation: ConversationKey;
  author: {
    id: string;
    name?: string;
    /** The author's roles where the platform has them (Discord), for access rules. */
    roles?: ReadonlyArray<{ id: string; name: string }>;
  };
  /**
   * A direct message (a DM with the bot) or a shared channel; access rules may refuse DMs.
   * Absent means a channel.
   */
  place?: "direct" | "channel";
  text: string;
  attachments: Attachment[];
  /** Mentioned, in a DM, or by slash command: the bot was spoken to. */
  addressed: boolean;
  /** A slash command's verb, when the adapter recognised one. */
  command?: BotCommand;
  /** Slash commands may force a direct run of `text` as Python. */
  forceDirectRun?: boolean;
  /**
   * Where the adapter can find this request's thread again after a restart (ChatAdapter.reopen).
   * A request without one is not remembered as open: a private answer has no thread to go back to.
   */
  replyAddress?: ReplyAddress;
}
