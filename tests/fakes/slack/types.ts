/**
 * The public shape of the fake Slack: what a test can read (the recorded state) and what it
 * can make Slack do (events, commands, failures). Field names follow Slack's own payloads.
 */

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  botUserId?: string;
  teamId?: string;
}

/** One Web API request, whatever the fake answered (a scripted 429 is recorded too). */
export interface RecordedCall {
  method: string;
  /**
   * Form fields arrive as strings, as the WebClient sends them; the JSON-encoded fields
   * (`blocks`, `attachments`, `files`, `metadata`) are parsed. The `token` field is moved to `token`.
   */
  args: Record<string, unknown>;
  /** From `Authorization: Bearer`, else from a `token` field. */
  token: string | undefined;
  /** `Date.now()` when the request arrived. */
  at: number;
  status: number;
  ok: boolean;
  /** Slack's error code when `ok` is false (`ratelimited` for a 429). */
  error: string | undefined;
}

export interface FakeMessageVersion {
  text: string;
  blocks: unknown[] | undefined;
  at: number;
}

/** A message the bot posted, in its current state. */
export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts: string | undefined;
  /** Empty when the message was posted with blocks only. */
  text: string;
  blocks: unknown[] | undefined;
  user: string;
  bot_id: string;
  /** Every state the message has had: `versions[0]` is the post, the last one is current. */
  versions: FakeMessageVersion[];
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[] | undefined;
  thread_ts: string | undefined;
  message_ts: string;
}

/** A file shared through the v2 flow; recorded only once `files.completeUploadExternal` named it. */
export interface FakeUpload {
  file_id: string;
  /** As given to `files.getUploadURLExternal`. */
  filename: string;
  title: string;
  bytes: Buffer;
  /** Empty when the file was completed without a channel (a private file). */
  channel_id: string;
  thread_ts: string | undefined;
  initial_comment: string | undefined;
  /** How the bytes reached the upload URL; the WebClient sends multipart/form-data. */
  encoding: "multipart" | "raw";
}

/** One POST of a file's bytes to its upload URL, answered or refused. */
export interface UploadPost {
  file_id: string;
  status: number;
  at: number;
}

export interface FakeReaction {
  channel: string;
  timestamp: string;
  name: string;
  /** Set when `reactions.remove` took this reaction off again. */
  removed: boolean;
}

export interface AssistantStatus {
  channel_id: string;
  thread_ts: string;
  status: string;
  at: number;
}

export interface ResponseUrlPost {
  url: string;
  body: unknown;
  at: number;
}

/** The parts of a Slack file object an app reads to download a user's attachment. */
export interface HostedFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  url_private: string;
  url_private_download: string;
}

export interface HostFileOptions {
  /** Answer the sign-in page even with the right token, as Slack does when a scope is missing. */
  asHtmlLoginPage?: boolean;
}

export interface FileDownload {
  file_id: string;
  authorized: boolean;
  at: number;
}

export type RateLimited = { status: 429; retryAfterSeconds: number };

export type ScriptedFailure = RateLimited | { error: string };

export interface SendEventOptions {
  eventId?: string;
  retryAttempt?: number;
  /** Defaults to `timeout` on a retry, as Socket Mode sends it. */
  retryReason?: string;
  /**
   * Which open Socket Mode connection gets the envelope, counted from the oldest (Slack spreads
   * events over an app's connections, up to 10); the newest when absent.
   */
  connection?: number;
}

export interface SlashCommandInput {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  [field: string]: string;
}

export interface EnvelopeResult {
  acked: boolean;
  envelopeId: string;
  /** The `payload` of the client's ack; Bolt sends `{}` for a bare `ack()`. */
  responsePayload?: unknown;
}

export interface SignedPostOptions {
  retryNum?: number;
  retryReason?: string;
  badSignature?: boolean;
  staleTimestamp?: boolean;
  noSignature?: boolean;
}

export interface PostResult {
  status: number;
  body: string;
}

export interface FakeSlack {
  /** Ends in `/api/`: pass it as the WebClient's (and Bolt's `clientOptions`) `slackApiUrl`. */
  readonly apiUrl: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly appId: string;

  readonly calls: RecordedCall[];
  readonly messages: FakeMessage[];
  readonly ephemerals: FakeEphemeral[];
  readonly uploads: FakeUpload[];
  readonly reactions: FakeReaction[];
  readonly assistantStatuses: AssistantStatus[];
  readonly responseUrlPosts: ResponseUrlPost[];
  readonly fileDownloads: FileDownload[];
  /** Every POST to an upload URL, the refused ones included. */
  readonly uploadPosts: UploadPost[];

  /** A message ts later than every ts the fake has issued or seen, in Slack's `seconds.micros` form. */
  nextTs(): string;
  hostFile(name: string, bytes: Buffer, mimetype: string, options?: HostFileOptions): HostedFile;
  /** The next call of `method` fails this way; several calls queue up in order. */
  failNext(method: string, response: ScriptedFailure): void;
  /**
   * The next POST of a file's bytes to its upload URL is refused with HTTP 429 and
   * `Retry-After`, Slack's answer to a client over its rate limit; several queue up in order.
   */
  failNextUpload(response: RateLimited): void;

  /** Socket Mode connections accepted so far, closed ones included. */
  socketConnections(): number;
  /** Socket Mode connections open now. */
  openSockets(): number;
  /** Resolves once `count` connections have been accepted (and greeted with `hello`). */
  waitForSocket(count?: number, timeoutMs?: number): Promise<void>;
  /** An `events_api` envelope on the newest open connection; resolves on the ack or after 3 s. */
  sendEvent(event: object, options?: SendEventOptions): Promise<EnvelopeResult & { eventId: string }>;
  sendSlashCommand(command: SlashCommandInput): Promise<EnvelopeResult>;
  /** Slack's `disconnect` message on every open connection; the client reconnects by itself. */
  disconnect(reason?: string): Promise<void>;
  /** Cuts every connection without a close frame, as a network failure would. */
  dropSockets(): void;
  /** New Socket Mode connections wait, unanswered, as in an outage, until released. */
  holdConnections(): void;
  releaseConnections(): void;

  /** The Events API body Slack posts for `event` (`type: "event_callback"`). */
  eventCallback(event: object, options?: { eventId?: string }): Record<string, unknown>;
  postSignedEvent(url: string, body: object, options?: SignedPostOptions): Promise<PostResult>;
  postSignedCommand(url: string, fields: SlashCommandInput, options?: SignedPostOptions): Promise<PostResult>;

  close(): Promise<void>;
}
