/**
 * A fake Discord (API v10) on 127.0.0.1 for driving the real discord.js `Client` over real HTTP
 * and WebSocket: REST under `/api/v10`, the gateway at `/gateway` (the URL `GET /gateway/bot`
 * hands out), and the CDN for attachments, all on one port. Tests make users act (messages,
 * DMs, commands, modals, threads), make Discord misbehave (dropped connections, RECONNECT,
 * INVALID_SESSION, 429s), and read what the bot did from the recorded state.
 */
import type { EventEmitter } from "node:events";
import { type Parts, startParts } from "./fake-discord-parts.ts";
import { channelObject, guildCreateObject, roleObject } from "./payloads.ts";
import type { Recorder, WaitOptions } from "./recorder.ts";
import { API_PREFIX } from "./rest.ts";
import type {
  CdnDownload,
  CommandInput,
  DmInput,
  FakeApplication,
  FakeCdn,
  FakeChannel,
  FakeDiscordEvents,
  FakeDiscordOptions,
  FakeGuild,
  FakeInteraction,
  FakeInteractionResponse,
  FakeMessage,
  FakeReaction,
  FakeRole,
  FakeThread,
  FakeTyping,
  FakeUser,
  GatewayConnectionRecord,
  GatewayFrame,
  GuildInput,
  IdentifyRecord,
  ModalSubmitInput,
  RateLimitOptions,
  RecordedCall,
  RegisteredCommands,
  ResumeRecord,
  RouteName,
  ThreadInput,
  UserMessageInput,
} from "./types.ts";
import { type DiscordErrorBody, isRecord } from "./wire.ts";
import type { WireMessage } from "./wire-types.ts";

export { DISCORD_HEARTBEAT_INTERVAL_MS } from "./fake-discord-parts.ts";
export type { WaitOptions } from "./recorder.ts";
export type * from "./types.ts";
export type * from "./wire-types.ts";

export class FakeDiscord {
  /** Pass as the client's `rest.api`; discord.js adds `/v10`. */
  readonly apiUrl: string;
  readonly gatewayUrl: string;
  readonly origin: string;
  readonly token: string;
  readonly botUser: FakeUser;
  readonly application: FakeApplication;
  readonly guild: FakeGuild;
  /** The guild's text channel. */
  readonly channel: FakeChannel;
  /** The default human author of messages, DMs and commands. */
  readonly user: FakeUser;
  /** Hosts users' files; `add()` returns the attachment object for a message or command. */
  readonly cdn: FakeCdn;
  private readonly recorder: Recorder;
  private closing: Promise<void> | undefined;

  private constructor(private readonly parts: Parts) {
    this.origin = parts.origin;
    this.apiUrl = `${parts.origin}${API_PREFIX}`;
    this.gatewayUrl = parts.gateway.url;
    this.token = parts.token;
    this.botUser = parts.world.botUser;
    this.application = parts.world.application;
    this.guild = parts.world.guild;
    this.channel = parts.world.channel;
    this.user = parts.world.user;
    this.cdn = parts.cdn;
    this.recorder = parts.recorder;
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    return new FakeDiscord(await startParts(options));
  }

  // Recorded state.

  get events(): EventEmitter<FakeDiscordEvents> {
    return this.recorder.events;
  }
  /** Every REST request, in arrival order. */
  get calls(): RecordedCall[] {
    return this.recorder.calls;
  }
  /** The bot's messages, in the order it posted them, interaction responses included. */
  get messages(): FakeMessage[] {
    return this.recorder.messages;
  }
  get reactions(): FakeReaction[] {
    return this.recorder.reactions;
  }
  get typing(): FakeTyping[] {
    return this.recorder.typing;
  }
  get threads(): FakeThread[] {
    return this.recorder.threads;
  }
  get interactions(): FakeInteraction[] {
    return this.recorder.interactions;
  }
  get interactionResponses(): FakeInteractionResponse[] {
    return this.recorder.interactionResponses;
  }
  get followUps(): FakeMessage[] {
    return this.recorder.messages.filter((m) => m.via === "follow-up");
  }
  get registeredCommands(): RegisteredCommands {
    return this.recorder.registeredCommands;
  }
  get identifies(): IdentifyRecord[] {
    return this.recorder.identifies;
  }
  get resumes(): ResumeRecord[] {
    return this.recorder.resumes;
  }
  get connections(): GatewayConnectionRecord[] {
    return this.recorder.connections;
  }
  /** Every gateway frame in both directions, as JSON before any compression. */
  get frames(): GatewayFrame[] {
    return this.recorder.frames;
  }
  get downloads(): CdnDownload[] {
    return this.recorder.downloads;
  }

  messagesIn(channel: FakeChannel | string): FakeMessage[] {
    const id = typeof channel === "string" ? channel : channel.id;
    return this.recorder.messages.filter((m) => m.channel_id === id);
  }

  /** Resolves with `check()`'s first truthy value, re-checked on every change to the fake's state. */
  waitFor<T>(check: () => T | undefined | null | false, options?: WaitOptions): Promise<T> {
    return this.recorder.waitFor(check, options);
  }

  // The world.

  addUser(options: { username?: string; globalName?: string; bot?: boolean } = {}): FakeUser {
    return this.parts.world.addUser(options);
  }

  /** A new role in the guild; a connected bot hears of it through GUILD_ROLE_CREATE. */
  addRole(name: string): FakeRole {
    const { world, gateway } = this.parts;
    const made = world.addRole(name);
    const role = roleObject(made, world.roles.length + 1);
    if (gateway.hasSession()) {
      gateway.dispatch(
        "GUILD_ROLE_CREATE",
        { guild_id: world.guild.id, role },
        { inGuild: true, contentGated: false },
      );
    }
    return made;
  }

  /** Gives a member a role: their messages' and commands' `member.roles` list it from now on. */
  giveRole(user: FakeUser, role: FakeRole): void {
    this.parts.world.giveRole(user.id, role.id);
  }

  /** Every guild the bot is in, the fixture guild (`guild`) first. */
  get guilds(): FakeGuild[] {
    return this.parts.world.guilds;
  }

  /**
   * Another guild the bot is in, with one text channel; with `shard`, its id lands on that shard,
   * so a sharding test can give each replica a guild. A connected bot hears of it through
   * GUILD_CREATE on the guild's shard, as when it is added to a server.
   */
  addGuild(input: GuildInput = {}): { guild: FakeGuild; channel: FakeChannel } {
    const { world, gateway } = this.parts;
    const { shard } = input;
    if (shard && !(Number.isInteger(shard.id) && shard.id >= 0 && shard.id < shard.count)) {
      throw new Error(`fake Discord: shard ${shard.id} is not one of 0..${shard.count - 1}`);
    }
    const added = world.addGuild(
      input.name ?? `Guild ${world.guilds.length + 1}`,
      input.channelName ?? "general",
      shard,
    );
    gateway.dispatch("GUILD_CREATE", guildCreateObject(world, added.guild), {
      inGuild: true,
      contentGated: false,
    });
    return added;
  }

  /**
   * A new text channel in a guild (the fixture guild by default); a connected bot hears of it
   * through CHANNEL_CREATE.
   */
  addChannel(name: string, guild: FakeGuild = this.guild): FakeChannel {
    const { world, gateway } = this.parts;
    const channel = world.addTextChannel(name, guild);
    gateway.dispatch("CHANNEL_CREATE", channelObject(world, channel), { inGuild: true, contentGated: false });
    return channel;
  }

  /** The DM channel between the bot and `user` (opened on first use). */
  dmChannel(user: FakeUser = this.user): FakeChannel {
    return this.parts.world.dmChannel(user);
  }

  /**
   * A user starts a thread (from a message when `messageId` is given): THREAD_CREATE. Before
   * login the thread is simply part of the guild the bot will receive.
   */
  startThread(input: ThreadInput): FakeChannel {
    const { world, gateway, recorder } = this.parts;
    const parent = world.resolveChannel(input.channel);
    const owner = input.owner ?? world.user;
    const thread = world.addThread({
      parent,
      name: input.name,
      owner,
      ...(input.messageId === undefined ? {} : { id: input.messageId }),
      private: input.private ?? false,
    });
    const record: FakeThread = {
      id: thread.id,
      parent_id: parent.id,
      name: input.name,
      type: thread.type,
      message_id: input.messageId,
      owner_id: owner.id,
      auto_archive_duration: world.meta.get(thread.id)?.auto_archive_duration ?? 4320,
      created_by: "user",
    };
    recorder.threads.push(record);
    recorder.emit("thread-create", record);
    gateway.dispatch(
      "THREAD_CREATE",
      { ...channelObject(world, thread), newly_created: true },
      { inGuild: true, contentGated: false },
    );
    return thread;
  }

  // What users do, delivered over the gateway.

  /** A user's message in a guild channel or thread (or a DM): MESSAGE_CREATE. */
  userMessage(input: UserMessageInput = {}): WireMessage {
    this.requireSession();
    const { world, messages } = this.parts;
    const content = input.content ?? "";
    return messages.addUserMessage({
      channel: world.resolveChannel(input.channel),
      author: input.author ?? world.user,
      content: input.mentionsBot ? `<@${world.botUser.id}> ${content}` : content,
      attachments: input.attachments ?? [],
      replyTo: input.replyTo,
    });
  }

  /** A user's direct message to the bot. */
  dm(input: DmInput = {}): WireMessage {
    const author = input.author ?? this.user;
    return this.userMessage({ ...input, author, channel: this.parts.world.dmChannel(author) });
  }

  /** A user runs a registered slash command: INTERACTION_CREATE (type 2). */
  command(input: CommandInput): FakeInteraction {
    this.requireSession();
    return this.parts.interactions.command(input);
  }

  /** A user submits a modal the bot showed: INTERACTION_CREATE (type 5). */
  modalSubmit(input: ModalSubmitInput): FakeInteraction {
    this.requireSession();
    return this.parts.interactions.modalSubmit(input);
  }

  /** Any dispatch, as given; a `guild_id` in `d` marks it as a guild event for intent checks. */
  dispatch(t: string, d: unknown): void {
    this.requireSession();
    this.parts.gateway.dispatch(t, d, { inGuild: isRecord(d) && "guild_id" in d, contentGated: false });
  }

  /** Delivers the latest dispatch of type `t` (or of any type) again, as Discord sometimes does. */
  redeliver(t?: string): void {
    this.parts.gateway.redeliver(t);
  }

  // Gateway trouble.

  /** Cuts the connection (the client sees 1006), or closes it with `code`; the session stays resumable. */
  dropConnection(options: { code?: number } = {}): void {
    this.parts.gateway.drop(options.code);
  }

  /** New gateway connections wait, unanswered, as in an outage, until released. */
  holdConnections(): void {
    this.parts.gateway.holdConnections();
  }

  releaseConnections(): void {
    this.parts.gateway.releaseConnections();
  }

  /**
   * Sessions that IDENTIFY from now on get READY but not yet their guilds' GUILD_CREATE, as when
   * Discord is slow to load them; events for the guilds still reach them. Until `releaseGuilds`.
   */
  holdGuilds(): void {
    this.parts.gateway.holdGuilds();
  }

  releaseGuilds(): void {
    this.parts.gateway.releaseGuilds();
  }

  /** Op 7 RECONNECT: the client should reconnect and RESUME. */
  reconnect(): void {
    this.parts.gateway.reconnect();
  }

  /** Op 9 INVALID_SESSION; when not resumable the session is gone and the client must IDENTIFY. */
  invalidSession(resumable: boolean): void {
    this.parts.gateway.invalidSession(resumable);
  }

  /** Op 1 from Discord: the client must heartbeat at once. */
  requestHeartbeat(): void {
    this.parts.gateway.requestHeartbeat();
  }

  // REST trouble.

  /** The next `count` requests of `route` get 429 with `retry_after` = `retryAfterMs`. */
  rateLimitNext(route: RouteName, count = 1, retryAfterMs = 100, options: RateLimitOptions = {}): void {
    this.parts.limits.limitNext(route, count, retryAfterMs, options);
  }

  /** The next request of `route` fails with `status` and Discord's error body. */
  failNext(
    route: RouteName,
    status: number,
    body: DiscordErrorBody = { message: "Internal Server Error", code: 0 },
  ): void {
    this.parts.limits.failNext(route, { status, body });
  }

  close(): Promise<void> {
    this.closing ??= this.parts.stop().finally(() => this.recorder.close());
    return this.closing;
  }

  private requireSession(): void {
    if (!this.parts.gateway.hasSession()) {
      throw new Error("fake Discord: no gateway session; log the client in and wait for clientReady first");
    }
  }
}
