/**
 * The public shape of the fake Discord: its options, the fixtures a test addresses, what a
 * test can read (the recorded state) and the inputs of what it can make Discord do. Field
 * names follow Discord's own payloads; the JSON shapes themselves are in `wire-types.ts`.
 */
import type { GatewayPayload, WireAttachment, WireCommand, WireInteraction } from "./wire-types.ts";

export interface FakeDiscordOptions {
  /** Defaults to a fresh token in Discord's three-part shape. */
  token?: string;
  /** HELLO's `heartbeat_interval`; Discord sends 41 250 ms, a test may want less. */
  heartbeatIntervalMs?: number;
  /**
   * The privileged intents switched on for the app (GUILD_MEMBERS, GUILD_PRESENCES,
   * MESSAGE_CONTENT bits); IDENTIFY asking for any other is closed with 4014. Default: all three.
   */
  privilegedIntents?: number;
  /** An interaction not answered within this is unknown (Discord: 3 s). */
  interactionDeadlineMs?: number;
  /** Largest upload per request (Discord: 10 MiB for a guild without boosts). */
  maxUploadBytes?: number;
  /**
   * `GET /gateway/bot`'s `session_start_limit.max_concurrency`: shards whose `id % n` differ may
   * IDENTIFY together (Discord: 1, more for large bots); with 1, discord.js waits 5 s between one
   * client's shards.
   */
  maxConcurrency?: number;
  /** The per-route bucket every answer reports in its `X-RateLimit-*` headers, and enforces. */
  routeLimit?: { limit: number; windowMs: number };
  botUsername?: string;
  guildName?: string;
  channelName?: string;
}

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  bot: boolean;
}

export interface FakeChannel {
  id: string;
  /** Discord's channel type: 0 text, 1 DM, 11 public thread, 12 private thread. */
  type: number;
  name: string | null;
  guild_id: string | undefined;
  /** For threads: the channel the thread is in. */
  parent_id: string | undefined;
  /** For DMs: the user at the other end. */
  recipient_id: string | undefined;
  owner_id: string | undefined;
}

/** A role a test made in the guild (besides `@everyone` and the bot's managed role). */
export interface FakeRole {
  id: string;
  name: string;
}

export interface FakeGuild {
  id: string;
  name: string;
  owner_id: string;
}

export interface FakeApplication {
  id: string;
  name: string;
  flags: number;
}

/** A file attached to a message, as the bot uploaded it (exact bytes) and as it is served. */
export interface FakeFile {
  id: string;
  name: string;
  data: Buffer;
  content_type: string | undefined;
  description: string | undefined;
  url: string;
}

export interface FakeMessageVersion {
  content: string;
  attachments: FakeFile[];
  embeds: unknown[];
  components: unknown[];
  flags: number;
  allowed_mentions: unknown;
  at: number;
}

/** A message the bot posted, in its current state; `versions[0]` is the post, the last is current. */
export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id: string | undefined;
  /** How it was posted: a channel message, an interaction's original response, or a follow-up. */
  via: "channel" | "interaction-response" | "follow-up";
  interaction_id: string | undefined;
  content: string;
  attachments: FakeFile[];
  embeds: unknown[];
  components: unknown[];
  flags: number;
  /** As sent; `undefined` when the request had none (Discord then parses every mention). */
  allowed_mentions: unknown;
  message_reference: unknown;
  tts: boolean;
  nonce: string | number | undefined;
  deleted: boolean;
  versions: FakeMessageVersion[];
}

export interface FakeReaction {
  channel_id: string;
  message_id: string;
  /** Decoded: the unicode emoji itself, or `name:id` for a custom one. */
  emoji: string;
  removed: boolean;
}

export interface FakeTyping {
  channel_id: string;
  at: number;
}

export interface FakeThread {
  id: string;
  parent_id: string;
  name: string;
  type: number;
  /** The message the thread was started from (its id is the thread's id). */
  message_id: string | undefined;
  owner_id: string;
  auto_archive_duration: number;
  created_by: "bot" | "user";
}

export interface FakeInteraction {
  id: string;
  token: string;
  /** 2 for an application command, 5 for a modal submit. */
  type: number;
  name: string | undefined;
  custom_id: string | undefined;
  channel_id: string;
  user_id: string;
  payload: WireInteraction;
  created_at: number;
  /** The callback type the app answered with, once it did. */
  callback_type: number | undefined;
  original_message_id: string | undefined;
}

export interface FakeInteractionResponse {
  interaction_id: string;
  type: number;
  data: Record<string, unknown> | undefined;
  files: Array<{ name: string; data: Buffer }>;
  with_response: boolean;
  /** The status the fake answered: 204/200, or Discord's error for a late or second answer. */
  status: number;
  at: number;
}

export interface RegisteredCommands {
  global: WireCommand[];
  guilds: Record<string, WireCommand[]>;
}

export interface IdentifyRecord {
  token: string;
  intents: number;
  properties: unknown;
  compress: boolean;
  shard: unknown;
  large_threshold: unknown;
  presence: unknown;
  /** The close code when the fake refused it (4004 bad token, 4013/4014 intents, ...). */
  refused_with: number | undefined;
  at: number;
}

export interface ResumeRecord {
  session_id: string;
  seq: number;
  accepted: boolean;
  /** Dispatches replayed before RESUMED. */
  replayed: number;
  /** The path the client connected to: Discord wants resumes on `resume_gateway_url`. */
  path: string;
  at: number;
}

export interface GatewayConnectionRecord {
  id: number;
  path: string;
  query: Record<string, string>;
  compress: "zlib-stream" | undefined;
  opened_at: number;
  closed_at: number | undefined;
  close_code: number | undefined;
  /** Who closed: the client's close frame, the fake, or the TCP connection dropping. */
  closed_by: "client" | "server" | undefined;
}

export interface GatewayFrame {
  connection: number;
  direction: "in" | "out";
  payload: GatewayPayload;
  at: number;
}

/** Every REST route the fake serves, in Discord's documentation spelling. */
export type RouteName =
  | "GET /gateway"
  | "GET /gateway/bot"
  | "GET /users/@me"
  | "GET /users/{user_id}"
  | "POST /users/@me/channels"
  | "GET /applications/@me"
  | "GET /oauth2/applications/@me"
  | "GET /applications/{application_id}/commands"
  | "PUT /applications/{application_id}/commands"
  | "POST /applications/{application_id}/commands"
  | "GET /applications/{application_id}/guilds/{guild_id}/commands"
  | "PUT /applications/{application_id}/guilds/{guild_id}/commands"
  | "POST /applications/{application_id}/guilds/{guild_id}/commands"
  | "GET /guilds/{guild_id}"
  | "GET /guilds/{guild_id}/members/{user_id}"
  | "GET /channels/{channel_id}"
  | "GET /channels/{channel_id}/messages"
  | "POST /channels/{channel_id}/messages"
  | "GET /channels/{channel_id}/messages/{message_id}"
  | "PATCH /channels/{channel_id}/messages/{message_id}"
  | "DELETE /channels/{channel_id}/messages/{message_id}"
  | "POST /channels/{channel_id}/messages/{message_id}/threads"
  | "POST /channels/{channel_id}/threads"
  | "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
  | "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
  | "POST /channels/{channel_id}/typing"
  | "POST /interactions/{interaction_id}/{interaction_token}/callback"
  | "POST /webhooks/{application_id}/{interaction_token}"
  | "GET /webhooks/{application_id}/{interaction_token}/messages/{message_id}"
  | "PATCH /webhooks/{application_id}/{interaction_token}/messages/{message_id}"
  | "DELETE /webhooks/{application_id}/{interaction_token}/messages/{message_id}";

/** One REST request, whatever the fake answered (a scripted 429 is recorded too). */
export interface RecordedCall {
  method: string;
  /** Without the `/api/v10` prefix and the query string. */
  path: string;
  query: string;
  route: RouteName | undefined;
  status: number;
  /** The `Authorization` header as sent (interaction callbacks and webhooks send none). */
  authorization: string | undefined;
  userAgent: string | undefined;
  /** The JSON body, or `payload_json` of a multipart body. */
  body: unknown;
  files: Array<{ field: string; name: string; size: number }>;
  at: number;
}

export interface RateLimitOptions {
  /** Answer as the global limit does (`X-RateLimit-Global`, `global: true`). */
  global?: boolean;
  scope?: "user" | "shared";
}

export interface CdnFileOptions {
  /** The channel in the URL's path, as Discord's CDN has it; defaults to the fixture channel. */
  channelId?: string;
  /** The `size` the attachment object claims, when it should differ from the bytes served. */
  claimedSize?: number;
  /** Wait this long before answering a download. */
  delayMs?: number;
  /** Send the bytes chunked, without `Content-Length`, so only counting them tells their size. */
  omitContentLength?: boolean;
  description?: string;
  width?: number;
  height?: number;
}

/** What a test does with the CDN: host a user's file, to attach to a message or command. */
export interface FakeCdn {
  add(filename: string, bytes: Buffer, contentType?: string, options?: CdnFileOptions): WireAttachment;
}

export interface CdnDownload {
  attachment_id: string;
  filename: string;
  /** 200, or 404 when the signature (`ex`, `is`, `hm`) did not match, as Discord's CDN answers. */
  status: number;
  at: number;
}

export interface UserMessageInput {
  /** A channel, thread or DM, or its id; defaults to the fixture text channel. */
  channel?: FakeChannel | string;
  content?: string;
  /** Defaults to the fixture user. */
  author?: FakeUser;
  /** Attachment objects from `fake.cdn.add()`. */
  attachments?: WireAttachment[];
  /** Starts the content with `<@bot>` and lists the bot in `mentions`. */
  mentionsBot?: boolean;
  /** The id of a message this one replies to (type 19, with `message_reference`). */
  replyTo?: string;
}

export type DmInput = Omit<UserMessageInput, "channel" | "mentionsBot">;

export type CommandOptionValue = string | number | boolean | WireAttachment | FakeUser;

export interface CommandInput {
  name: string;
  subcommand?: string;
  /** By option name; types come from the registered command (an attachment object for type 11). */
  options?: Record<string, CommandOptionValue>;
  channel?: FakeChannel | string;
  user?: FakeUser;
  locale?: string;
}

export interface ModalSubmitInput {
  customId: string;
  /** Text input values by their `custom_id`. */
  fields: Record<string, string>;
  channel?: FakeChannel | string;
  user?: FakeUser;
}

export interface ThreadInput {
  name: string;
  channel?: FakeChannel | string;
  /** Start the thread from this message, whose id the thread then takes. */
  messageId?: string;
  owner?: FakeUser;
  private?: boolean;
}

export interface GuildInput {
  name?: string;
  /** The name of the guild's one text channel. */
  channelName?: string;
  /** Put the guild on shard `id` of `count`: its id then satisfies `(id >> 22) % count === shard id`. */
  shard?: { id: number; count: number };
}

/** Named events (noun-then-verb) the fake emits as its state changes; `change` follows each. */
export interface FakeDiscordEvents {
  change: [kind: string];
  "rest-call": [call: RecordedCall];
  "message-create": [message: FakeMessage];
  "message-update": [message: FakeMessage];
  "message-delete": [message: FakeMessage];
  "reaction-add": [reaction: FakeReaction];
  "reaction-remove": [reaction: FakeReaction];
  "typing-start": [typing: FakeTyping];
  "thread-create": [thread: FakeThread];
  "interaction-respond": [response: FakeInteractionResponse];
  "commands-update": [commands: RegisteredCommands];
  "gateway-open": [connection: GatewayConnectionRecord];
  "gateway-close": [connection: GatewayConnectionRecord];
  "gateway-identify": [identify: IdentifyRecord];
  "gateway-resume": [resume: ResumeRecord];
  "gateway-frame": [frame: GatewayFrame];
  "cdn-download": [download: CdnDownload];
}
