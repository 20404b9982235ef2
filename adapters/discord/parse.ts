/**
 * Discord messages → what the core needs. Pure: the adapter copies the few fields it reads
 * from a discord.js Message into a DiscordMessageView, so these rules are tested with plain
 * objects. Anything unexpected yields null (ignored) rather than an exception.
 */
import { parseCommandWord } from "../../src/bot/command-words.ts";
import type { BotCommand, ConversationKey, IncomingMessage } from "../../src/bot/incoming-message.ts";

export interface DiscordAttachmentRef {
  id: string;
  url: string;
  name: string;
  size: number;
  contentType: string | null;
}

/** What the rules below read of a message. */
export interface DiscordMessageView {
  id: string;
  channelId: string;
  guildId: string | null;
  /** A direct message, a guild text channel, a thread in one, or anything else (voice, forum…). */
  channelKind: "dm" | "text" | "thread" | "other";
  /** For a thread: the channel it belongs to. */
  parentId: string | null;
  content: string;
  author: { id: string; bot: boolean };
  /** The author's roles in the server (none in a DM), for access rules. */
  authorRoles: ReadonlyArray<AuthorRole>;
  /** A plain message or a reply; joins, pins and other system messages are not. */
  isUserContent: boolean;
  mentionsBot: boolean;
  attachments: DiscordAttachmentRef[];
}

export interface DiscordIdentity {
  botUserId: string;
  ignoreOtherBots: boolean;
}

/** Where the answer goes: the DM, the thread the message is in, or a new thread started from it. */
export type DiscordPlacement =
  | { kind: "dm"; channelId: string }
  | { kind: "thread"; guildId: string; parentId: string; threadId: string }
  | { kind: "new-thread"; guildId: string; channelId: string; messageId: string };

export interface ParsedDiscordMessage {
  deliveryId: string;
  placement: DiscordPlacement;
  authorId: string;
  authorRoles: ReadonlyArray<AuthorRole>;
  place: "direct" | "channel";
  text: string;
  attachments: DiscordAttachmentRef[];
  addressed: boolean;
  command?: BotCommand;
}

export interface AuthorRole {
  id: string;
  name: string;
}

/** A DM is one long conversation, like a chat with a person. */
export const DM_THREAD = "dm";

export function parseDiscordMessage(
  message: DiscordMessageView,
  me: DiscordIdentity,
): ParsedDiscordMessage | null {
  if (!message.isUserContent || !message.id || !message.channelId) return null;
  // Our own messages, and (by default) other bots', never start a run: no bot loops.
  if (message.author.id === me.botUserId) return null;
  if (message.author.bot && me.ignoreOtherBots) return null;
  const placement = placementOf(message);
  if (!placement) return null;
  const addressed = placement.kind !== "thread" || message.mentionsBot;
  const text = cleanDiscordText(message.content, me.botUserId);
  const command = parseCommandWord(text);
  return {
    deliveryId: `discord:${message.id}`,
    placement,
    authorId: message.author.id,
    authorRoles: message.authorRoles,
    place: placement.kind === "dm" ? "direct" : "channel",
    text,
    attachments: message.attachments,
    addressed,
    ...(command ? { command } : {}),
  };
}

function placementOf(message: DiscordMessageView): DiscordPlacement | null {
  if (message.channelKind === "dm") return { kind: "dm", channelId: message.channelId };
  if (!message.guildId) return null;
  if (message.channelKind === "thread" && message.parentId) {
    return {
      kind: "thread",
      guildId: message.guildId,
      parentId: message.parentId,
      threadId: message.channelId,
    };
  }
  // In a channel, only a mention is for us; the answer gets a thread of its own.
  if (message.channelKind === "text" && message.mentionsBot) {
    return {
      kind: "new-thread",
      guildId: message.guildId,
      channelId: message.channelId,
      messageId: message.id,
    };
  }
  return null;
}

/** The conversation of a placement; a new thread's id is known once the adapter has made it. */
export function conversationOf(placement: DiscordPlacement, newThreadId?: string): ConversationKey {
  switch (placement.kind) {
    case "dm":
      return { platform: "discord", workspace: "dm", channel: placement.channelId, thread: DM_THREAD };
    case "thread":
      return {
        platform: "discord",
        workspace: placement.guildId,
        channel: placement.parentId,
        thread: placement.threadId,
      };
    case "new-thread":
      return {
        platform: "discord",
        workspace: placement.guildId,
        channel: placement.channelId,
        thread: newThreadId ?? placement.messageId,
      };
  }
}

/** The bot's own mention goes; other mentions, text and code stay as written. */
export function cleanDiscordText(content: string, botUserId: string): string {
  return content.replaceAll(`<@${botUserId}>`, "").replaceAll(`<@!${botUserId}>`, "").trim();
}

/** A thread's name from the question that starts it: one line, at most 80 characters. */
export function threadName(text: string): string {
  const line = text
    .replace(/```[\s\S]*?```/g, "code")
    .replace(/\s+/g, " ")
    .trim();
  if (!line) return "Code Interpreter";
  return line.length <= 80 ? line : `${line.slice(0, 79)}…`;
}

/** The first line of a command's text, for the message that shows what was asked: at most 300 characters. */
export function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/**
 * A member's roles from their ids, named from the server's roles where known. `@everyone`
 * (the role whose id is the server's) goes: every member has it, so it tells nobody apart.
 */
export function namedRoles(
  roleIds: readonly string[],
  guildId: string,
  nameOf: (id: string) => string | undefined,
): AuthorRole[] {
  return roleIds.filter((id) => id !== guildId).map((id) => ({ id, name: nameOf(id) ?? "" }));
}

/** Where an interaction came from, as much as the access rules need of it. */
export interface DiscordInteractionView {
  userId: string;
  userName: string;
  guildId: string | null;
  channel: { id: string; kind: "dm" | "thread" | "other"; parentId: string | null } | null;
  roles: ReadonlyArray<AuthorRole>;
}

/** The access subject of an interaction: a thread counts as its channel, as for messages. */
export function interactionSubject(
  view: DiscordInteractionView,
): Pick<IncomingMessage, "conversation" | "author"> & { place: "direct" | "channel" } {
  const author = { id: view.userId, name: view.userName, roles: view.roles };
  const channel = view.channel;
  if (!view.guildId || !channel || channel.kind === "dm") {
    return {
      conversation: conversationOf({ kind: "dm", channelId: channel?.id ?? view.userId }),
      author,
      place: "direct",
    };
  }
  const channelId = channel.kind === "thread" && channel.parentId ? channel.parentId : channel.id;
  return {
    conversation: { platform: "discord", workspace: view.guildId, channel: channelId, thread: channel.id },
    author,
    place: "channel",
  };
}
