/**
 * Slack payloads → what the core needs. Pure: no network, so it is tested with recorded
 * payloads. Event bodies are untrusted: every field is checked before use, and anything
 * unexpected yields null (ignored) rather than an exception.
 */
import { looksLikePython, parseCommandWord } from "../../src/bot/command-words.ts";
import type { BotCommand, ConversationKey } from "../../src/bot/incoming-message.ts";

export interface SlackIdentity {
  /** The bot's user name, to tell people how to mention it. */
  botName?: string;
  botUserId: string;
  botId: string | null;
  teamId: string;
  ignoreOtherBots: boolean;
}

export interface SlackFileRef {
  id: string;
  name: string;
  mimeType: string;
  size: number | null;
  url: string;
}

export interface ParsedSlackMessage {
  deliveryId: string;
  conversation: ConversationKey;
  channel: string;
  /** The user's message, for reactions. */
  messageTs: string;
  /** Where replies go; null for a direct message's top level, where people do not use threads. */
  replyThreadTs: string | null;
  userId: string;
  /** A DM with the bot, or a channel (public, private or a group DM). */
  place: "direct" | "channel";
  text: string;
  files: SlackFileRef[];
  addressed: boolean;
  command?: BotCommand;
}

/** The top level of a direct message is one long conversation, like a chat with a person. */
export const DM_MAIN_THREAD = "dm";

type Json = Record<string, unknown>;

const IGNORED_SUBTYPES = new Set([
  "message_changed",
  "message_deleted",
  "message_replied",
  "channel_join",
  "channel_leave",
  "bot_message",
  "channel_topic",
  "channel_purpose",
  "channel_name",
  "pinned_item",
  "unpinned_item",
  "ekm_access_denied",
]);

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** Slack escapes &, < and > in text; &amp; goes last, so "&amp;lt;" stays "&lt;". */
function decodeEntities(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** Mentions and links arrive as <…>; the rest is escaped. */
export function cleanSlackText(text: string, botUserId: string): string {
  const unwrapped = text
    .replaceAll(`<@${botUserId}>`, "")
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:\/\/[^>]+)>/g, "$1");
  return decodeEntities(unwrapped).trim();
}

function parseFiles(value: unknown): SlackFileRef[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((file): SlackFileRef[] => {
    if (!isObject(file)) return [];
    const url = str(file.url_private_download) ?? str(file.url_private);
    const id = str(file.id);
    if (!url || !id) return [];
    return [
      {
        id,
        name: str(file.name) ?? str(file.title) ?? id,
        mimeType: str(file.mimetype) ?? "application/octet-stream",
        size: typeof file.size === "number" ? file.size : null,
        url,
      },
    ];
  });
}

/** An `app_mention` or `message` event → a message for the core, or null when it is not for us. */
export function parseSlackEvent(
  event: unknown,
  teamId: string | null,
  me: SlackIdentity,
): ParsedSlackMessage | null {
  if (!isObject(event)) return null;
  const type = event.type;
  if (type !== "app_mention" && type !== "message") return null;
  const subtype = str(event.subtype);
  if (subtype && IGNORED_SUBTYPES.has(subtype)) return null;
  const user = str(event.user);
  const channel = str(event.channel);
  const ts = str(event.ts);
  if (!user || !channel || !ts) return null;
  // Our own messages, and (by default) other bots', never start a run: no bot loops.
  if (user === me.botUserId || (me.botId && event.bot_id === me.botId)) return null;
  if (me.ignoreOtherBots && (str(event.bot_id) || str(event.app_id))) return null;
  const rawText = typeof event.text === "string" ? event.text : "";
  const mentioned = rawText.includes(`<@${me.botUserId}>`);
  const isDm = event.channel_type === "im" || channel.startsWith("D");
  const threadTs = str(event.thread_ts);
  let addressed: boolean;
  if (type === "app_mention") {
    addressed = true;
  } else if (isDm) {
    addressed = true;
  } else if (mentioned) {
    return null; // Slack also sends this as app_mention; that event carries it.
  } else if (threadTs) {
    addressed = false; // a reply in a thread: the core answers if it is part of that thread
  } else {
    return null;
  }
  const replyThreadTs = threadTs ?? (isDm ? null : ts);
  const workspace = str(event.team) ?? teamId ?? me.teamId;
  const text = cleanSlackText(rawText, me.botUserId);
  const command = parseCommandWord(text);
  return {
    // The message itself, not the event: app_mention and message events of one message, and
    // retried deliveries, all share it.
    deliveryId: `${channel}:${ts}`,
    conversation: { platform: "slack", workspace, channel, thread: replyThreadTs ?? DM_MAIN_THREAD },
    channel,
    messageTs: ts,
    replyThreadTs,
    userId: user,
    place: isDm ? "direct" : "channel",
    text,
    files: parseFiles(event.files),
    addressed,
    ...(command ? { command } : {}),
  };
}

export interface ParsedSlashCommand {
  channel: string;
  userId: string;
  teamId: string;
  place: "direct" | "channel";
  command?: BotCommand;
  text: string;
  /** True when the text is Python to run as it is; false sends it to the model. */
  isCode: boolean;
}

export function parseSlashCommand(body: unknown): ParsedSlashCommand | null {
  if (!isObject(body)) return null;
  const channel = str(body.channel_id);
  const userId = str(body.user_id);
  if (!channel || !userId) return null;
  const text = decodeEntities(typeof body.text === "string" ? body.text : "").trim();
  const place = channel.startsWith("D") ? ("direct" as const) : ("channel" as const);
  const base = { channel, userId, teamId: str(body.team_id) ?? "unknown", place, text };
  const command = text === "" ? "help" : parseCommandWord(text);
  if (command) return { ...base, command, isCode: false };
  return { ...base, isCode: looksLikePython(text) };
}

/**
 * Where a private refusal goes: to the author, beside their message, inside its thread when
 * the message was a reply in one (a top-level message gets no thread for a refusal).
 */
export function refusalTarget(parsed: ParsedSlackMessage): {
  channel: string;
  user: string;
  thread_ts?: string;
} {
  const inThread = parsed.replyThreadTs !== null && parsed.replyThreadTs !== parsed.messageTs;
  return {
    channel: parsed.channel,
    user: parsed.userId,
    ...(inThread && parsed.replyThreadTs ? { thread_ts: parsed.replyThreadTs } : {}),
  };
}
