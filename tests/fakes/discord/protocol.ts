/**
 * Discord's numbers: gateway opcodes and close codes, intents and the events each one gates,
 * channel, message and interaction types, JSON error codes, and snowflakes. Values are from
 * Discord's API v10 documentation; the fake keeps its own copy so that it does not depend on
 * the client library it is meant to check.
 */
import { randomBytes } from "node:crypto";

export const API_VERSION = 10;

export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

export const CloseCode = {
  UnknownError: 4000,
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidSeq: 4007,
  RateLimited: 4008,
  SessionTimedOut: 4009,
  InvalidShard: 4010,
  InvalidApiVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
} as const;

export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  DirectMessageTyping: 1 << 14,
  MessageContent: 1 << 15,
} as const;

/** Intents Discord only grants when they are switched on for the app in the developer portal. */
export const PRIVILEGED_INTENTS = Intent.GuildMembers | Intent.GuildPresences | Intent.MessageContent;
/** Every intent bit Discord defines up to now (0–25, less the retired 17–19 and 22–23). */
const KNOWN_INTENTS = 0b11_0011_0001_1111_1111_1111_1111;

/** The application flags Discord sets for privileged intents granted to an app in under 100 guilds. */
export function applicationFlags(privilegedIntents: number): number {
  let flags = 0;
  if (privilegedIntents & Intent.GuildPresences) flags |= 1 << 13; // GATEWAY_PRESENCE_LIMITED
  if (privilegedIntents & Intent.GuildMembers) flags |= 1 << 15; // GATEWAY_GUILD_MEMBERS_LIMITED
  if (privilegedIntents & Intent.MessageContent) flags |= 1 << 19; // GATEWAY_MESSAGE_CONTENT_LIMITED
  return flags;
}

export function unknownIntentBits(intents: number): number {
  return intents & ~KNOWN_INTENTS;
}

const GUILD_EVENTS = new Set([
  "GUILD_CREATE",
  "GUILD_UPDATE",
  "GUILD_DELETE",
  "CHANNEL_CREATE",
  "CHANNEL_UPDATE",
  "CHANNEL_DELETE",
  "THREAD_CREATE",
  "THREAD_UPDATE",
  "THREAD_DELETE",
  "THREAD_LIST_SYNC",
  "THREAD_MEMBER_UPDATE",
  "GUILD_ROLE_CREATE",
  "GUILD_ROLE_UPDATE",
  "GUILD_ROLE_DELETE",
]);

/**
 * The intent a session needs to receive dispatch `t` (guild or DM flavour), or 0 when Discord
 * sends it to every session (READY, RESUMED, INTERACTION_CREATE, ...).
 */
export function intentFor(t: string, inGuild: boolean): number {
  if (GUILD_EVENTS.has(t)) return Intent.Guilds;
  if (t === "MESSAGE_CREATE" || t === "MESSAGE_UPDATE" || t === "MESSAGE_DELETE") {
    return inGuild ? Intent.GuildMessages : Intent.DirectMessages;
  }
  if (t.startsWith("MESSAGE_REACTION_")) {
    return inGuild ? Intent.GuildMessageReactions : Intent.DirectMessageReactions;
  }
  if (t === "TYPING_START") return inGuild ? Intent.GuildMessageTyping : Intent.DirectMessageTyping;
  return 0;
}

export const ChannelType = {
  GuildText: 0,
  DM: 1,
  PublicThread: 11,
  PrivateThread: 12,
} as const;

export const MessageType = { Default: 0, Reply: 19, ChatInputCommand: 20 } as const;

export const MessageFlag = { Ephemeral: 1 << 6, Loading: 1 << 7 } as const;

export const InteractionType = { Ping: 1, ApplicationCommand: 2, ModalSubmit: 5 } as const;

export const CallbackType = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  AutocompleteResult: 8,
  Modal: 9,
} as const;

export const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

/** Discord's JSON error codes that the fake answers with. */
export const ErrorCode = {
  General: 0,
  UnknownChannel: 10003,
  UnknownMessage: 10008,
  UnknownUser: 10013,
  UnknownEmoji: 10014,
  UnknownWebhook: 10015,
  UnknownApplicationCommand: 10063,
  UnknownInteraction: 10062,
  RequestEntityTooLarge: 40005,
  InteractionAlreadyAcknowledged: 40060,
  CannotEditOtherUsersMessage: 50005,
  EmptyMessage: 50006,
  InvalidFormBody: 50035,
  InvalidJson: 50109,
  ThreadAlreadyCreated: 160004,
} as const;

/** Permissions of `@everyone` in the fixture guild: what a member needs to chat and run commands. */
export const EVERYONE_PERMISSIONS = [
  6n, // ADD_REACTIONS
  10n, // VIEW_CHANNEL
  11n, // SEND_MESSAGES
  14n, // EMBED_LINKS
  15n, // ATTACH_FILES
  16n, // READ_MESSAGE_HISTORY
  18n, // USE_EXTERNAL_EMOJIS
  31n, // USE_APPLICATION_COMMANDS
  35n, // CREATE_PUBLIC_THREADS
  38n, // SEND_MESSAGES_IN_THREADS
]
  .reduce((bits, bit) => bits | (1n << bit), 0n)
  .toString();

const DISCORD_EPOCH = 1_420_070_400_000n;

/** Snowflakes that encode their creation time and grow strictly, as Discord's do. */
export class Snowflakes {
  private lastMs = 0n;
  private increment = 0n;

  next(): string {
    const now = BigInt(Date.now());
    if (now > this.lastMs) {
      this.lastMs = now;
      this.increment = 0n;
    } else {
      this.increment += 1n;
      if (this.increment > 4095n) {
        this.lastMs += 1n;
        this.increment = 0n;
      }
    }
    return (((this.lastMs - DISCORD_EPOCH) << 22n) | (1n << 17n) | this.increment).toString();
  }

  /**
   * The next id whose timestamp puts it on `shard` of `count` (Discord's rule: `(id >> 22) %
   * count`), for a guild a test places on a shard. The clock moves up to `count - 1` ms ahead,
   * so later ids still grow strictly.
   */
  nextOnShard(shard: number, count: number): string {
    const total = BigInt(count);
    const floor = BigInt(Date.now()) > this.lastMs ? BigInt(Date.now()) : this.lastMs + 1n;
    const offset = (BigInt(shard) - ((floor - DISCORD_EPOCH) % total) + total) % total;
    this.lastMs = floor + offset;
    this.increment = 0n;
    return (((this.lastMs - DISCORD_EPOCH) << 22n) | (1n << 17n)).toString();
  }
}

export function snowflakeTime(id: string): Date {
  return new Date(Number((BigInt(id) >> 22n) + DISCORD_EPOCH));
}

/** A token in Discord's shape: the bot's id in base64, a timestamp, and an HMAC-looking tail. */
export function botToken(botUserId: string): string {
  const stamp = Buffer.alloc(4);
  stamp.writeUInt32BE(Math.floor(Date.now() / 1000) - 1_293_840_000);
  return [
    Buffer.from(botUserId).toString("base64url"),
    stamp.toString("base64url"),
    randomBytes(20).toString("base64url"),
  ].join(".");
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}
