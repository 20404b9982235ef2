/**
 * Every message in the fake: users' messages a test dispatched and the bot's own, in the shape
 * Discord stores them. The bot's are also kept as `FakeMessage` records with their versions.
 * Creating, editing and deleting a message dispatches MESSAGE_CREATE/UPDATE/DELETE on the
 * gateway, as Discord does for the bot's own messages too.
 */
import type { Cdn } from "./cdn.ts";
import { emptyMessage, isEmpty } from "./limits.ts";
import { type ComposeContext, type Composed, compose, mentionsOf } from "./message-body.ts";
import type { ParsedBody } from "./multipart.ts";
import { memberObject, userObject } from "./payloads.ts";
import { ErrorCode, MessageFlag, MessageType, type Snowflakes } from "./protocol.ts";
import type { Recorder } from "./recorder.ts";
import type { FakeChannel, FakeMessage, FakeUser } from "./types.ts";
import { type Answer, fail, isoTime, noContent, ok, unknownMessage } from "./wire.ts";
import type { WireAttachment, WireMessage } from "./wire-types.ts";
import type { World } from "./world.ts";

export interface DispatchOptions {
  inGuild: boolean;
  /** Subject to the MESSAGE_CONTENT intent: a guild message neither by nor mentioning the bot. */
  contentGated: boolean;
}

export interface MessageStoreContext {
  world: World;
  cdn: Cdn;
  ids: Snowflakes;
  recorder: Recorder;
  maxUploadBytes: number;
  dispatch(t: string, d: unknown, options: DispatchOptions): void;
}

export interface StoredMessage {
  wire: WireMessage;
  record: FakeMessage | undefined;
  deleted: boolean;
}

export interface InteractionRef {
  id: string;
  type: number;
  name: string | undefined;
  user: FakeUser;
}

export interface BotMessageOptions {
  via: FakeMessage["via"];
  interaction?: InteractionRef;
}

export class MessageStore {
  private readonly byId = new Map<string, StoredMessage>();

  constructor(private readonly ctx: MessageStoreContext) {}

  find(channelId: string, messageId: string): StoredMessage | undefined {
    const stored = this.byId.get(messageId);
    return stored && !stored.deleted && stored.wire.channel_id === channelId ? stored : undefined;
  }

  addUserMessage(input: {
    channel: FakeChannel;
    author: FakeUser;
    content: string;
    attachments: WireAttachment[];
    replyTo: string | undefined;
  }): WireMessage {
    const { world } = this.ctx;
    const referenced = input.replyTo ? this.find(input.channel.id, input.replyTo)?.wire : undefined;
    if (input.replyTo && !referenced)
      throw new Error(`fake Discord: no message ${input.replyTo} to reply to`);
    const wire = this.wire(input.channel, input.author, {
      content: input.content,
      attachments: input.attachments,
      referenced,
      allowed: undefined,
    });
    this.store(wire, undefined);
    const mentionsBot = wire.mentions.some((user) => user.id === world.botUser.id);
    this.ctx.dispatch("MESSAGE_CREATE", wire, {
      inGuild: input.channel.guild_id !== undefined,
      contentGated: input.channel.guild_id !== undefined && !mentionsBot,
    });
    return wire;
  }

  createBotMessage(channel: FakeChannel, body: ParsedBody, options: BotMessageOptions): Answer {
    const parts = this.compose(channel, body);
    if ("status" in parts) return parts;
    const duplicate = this.sameNonce(channel, body, parts);
    if (duplicate) return ok(restView(duplicate.wire));
    const { world } = this.ctx;
    const wire = this.wire(channel, world.botUser, {
      content: parts.content,
      attachments: parts.attachments,
      referenced: parts.referenced,
      allowed: parts.allowed_mentions,
      parts,
      ...(options.interaction ? { interaction: options.interaction } : {}),
    });
    this.publish(channel, wire, this.record(wire, parts, options));
    return ok(restView(wire));
  }

  /** A deferred interaction's "thinking…" message: empty, with the LOADING flag. */
  createLoading(channel: FakeChannel, interaction: InteractionRef, ephemeral: boolean): StoredMessage {
    const flags = MessageFlag.Loading | (ephemeral ? MessageFlag.Ephemeral : 0);
    const body: ParsedBody = { json: { flags }, files: [], encoding: "json" };
    const parts = this.compose(channel, body);
    if ("status" in parts) throw new Error("fake Discord: could not build a loading message");
    const wire = this.wire(channel, this.ctx.world.botUser, {
      content: "",
      attachments: [],
      referenced: undefined,
      allowed: undefined,
      parts,
      interaction,
    });
    return this.publish(
      channel,
      wire,
      this.record(wire, parts, { via: "interaction-response", interaction }),
    );
  }

  edit(channel: FakeChannel, messageId: string, body: ParsedBody): Answer {
    const stored = this.find(channel.id, messageId);
    if (!stored) return unknownMessage();
    const { record } = stored;
    const notOurs = "Cannot edit a message authored by another user";
    if (!record) return fail(403, ErrorCode.CannotEditOtherUsersMessage, notOurs);
    const parts = compose(this.composeContext(), channel, body, {
      wire: stored.wire,
      files: record.attachments,
      allowed_mentions: record.allowed_mentions,
    });
    if ("status" in parts) return parts;
    // Editing a deferred response's loading message resolves it; whether a message is
    // ephemeral is fixed when it is created.
    const fixed = MessageFlag.Loading | MessageFlag.Ephemeral;
    parts.flags = (parts.flags & ~fixed) | (stored.wire.flags & MessageFlag.Ephemeral);
    if (isEmpty({ ...parts, attachmentCount: parts.attachments.length })) return emptyMessage();
    const mentions = mentionsOf(this.ctx.world, channel, parts.content, parts.allowed_mentions);
    Object.assign(stored.wire, {
      content: parts.content,
      embeds: parts.embeds,
      components: parts.components,
      attachments: parts.attachments,
      flags: parts.flags,
      edited_timestamp: isoTime(),
      ...mentions,
    });
    Object.assign(record, {
      content: parts.content,
      embeds: parts.embeds,
      components: parts.components,
      attachments: parts.files,
      flags: parts.flags,
      allowed_mentions: parts.allowed_mentions,
    });
    record.versions.push(version(record));
    this.ctx.recorder.emit("message-update", record);
    this.dispatchOwn("MESSAGE_UPDATE", channel, stored.wire);
    return ok(restView(stored.wire));
  }

  remove(channel: FakeChannel, messageId: string): Answer {
    const stored = this.find(channel.id, messageId);
    if (!stored) return unknownMessage();
    stored.deleted = true;
    if (stored.record) {
      stored.record.deleted = true;
      this.ctx.recorder.emit("message-delete", stored.record);
    }
    if ((stored.wire.flags & MessageFlag.Ephemeral) === 0) {
      const d = {
        id: messageId,
        channel_id: channel.id,
        ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      };
      this.ctx.dispatch("MESSAGE_DELETE", d, {
        inGuild: channel.guild_id !== undefined,
        contentGated: false,
      });
    }
    return noContent();
  }

  /** GET /channels/{id}/messages: newest first, `limit` 1–100 (50), `before`/`after`/`around`. */
  history(channel: FakeChannel, query: URLSearchParams): WireMessage[] {
    const limit = Math.min(100, Math.max(1, Number(query.get("limit") ?? 50) || 50));
    const all = [...this.byId.values()]
      .filter(
        (m) => !m.deleted && m.wire.channel_id === channel.id && (m.wire.flags & MessageFlag.Ephemeral) === 0,
      )
      .map((m) => m.wire)
      .sort((a, b) => compareIds(b.id, a.id));
    const before = query.get("before");
    const after = query.get("after");
    const around = query.get("around");
    let picked: WireMessage[];
    if (before) picked = all.filter((m) => compareIds(m.id, before) < 0).slice(0, limit);
    else if (after) picked = all.filter((m) => compareIds(m.id, after) > 0).slice(-limit);
    else if (around) {
      const index = all.findIndex((m) => compareIds(m.id, around) <= 0);
      const start = Math.max(0, (index < 0 ? all.length : index) - Math.floor(limit / 2));
      picked = all.slice(start, start + limit);
    } else picked = all.slice(0, limit);
    return picked.map(restView);
  }

  private compose(channel: FakeChannel, body: ParsedBody): Composed | Answer {
    const parts = compose(this.composeContext(), channel, body);
    if ("status" in parts) return parts;
    const loading = (parts.flags & MessageFlag.Loading) !== 0;
    if (!loading && isEmpty({ ...parts, attachmentCount: parts.attachments.length })) return emptyMessage();
    return parts;
  }

  private composeContext(): ComposeContext {
    return {
      world: this.ctx.world,
      cdn: this.ctx.cdn,
      maxUploadBytes: this.ctx.maxUploadBytes,
      findMessage: (channelId, messageId) => this.find(channelId, messageId)?.wire,
    };
  }

  /** With `enforce_nonce`, Discord answers a repeated nonce with the message it already made. */
  private sameNonce(channel: FakeChannel, body: ParsedBody, parts: Composed): StoredMessage | undefined {
    if (body.json.enforce_nonce !== true || parts.nonce === undefined) return undefined;
    return [...this.byId.values()].find(
      (m) => m.record && !m.deleted && m.wire.channel_id === channel.id && m.record.nonce === parts.nonce,
    );
  }

  private wire(
    channel: FakeChannel,
    author: FakeUser,
    input: {
      content: string;
      attachments: WireAttachment[];
      referenced: WireMessage | undefined;
      allowed: unknown;
      parts?: Composed;
      interaction?: InteractionRef;
    },
  ): WireMessage {
    const { world, ids } = this.ctx;
    const { parts, interaction, referenced } = input;
    const guildId = channel.guild_id;
    const type = interaction
      ? interaction.type === 2
        ? MessageType.ChatInputCommand
        : MessageType.Default
      : referenced
        ? MessageType.Reply
        : MessageType.Default;
    return {
      id: ids.next(),
      type,
      channel_id: channel.id,
      author: userObject(author),
      content: input.content,
      timestamp: isoTime(),
      edited_timestamp: null,
      tts: parts?.tts ?? false,
      ...mentionsOf(world, channel, input.content, input.allowed, referenced),
      mention_roles: [],
      attachments: input.attachments,
      embeds: parts?.embeds ?? [],
      components: parts?.components ?? [],
      pinned: false,
      flags: parts?.flags ?? 0,
      ...(guildId === undefined
        ? {}
        : { guild_id: guildId, member: memberObject(world, author, { withUser: false, guildId }) }),
      channel_type: channel.type,
      ...(parts?.nonce === undefined ? {} : { nonce: parts.nonce }),
      ...(referenced
        ? {
            message_reference: {
              type: 0,
              message_id: referenced.id,
              channel_id: channel.id,
              ...(guildId === undefined ? {} : { guild_id: guildId }),
            },
            referenced_message: restView(referenced),
          }
        : {}),
      ...(interaction
        ? {
            webhook_id: world.application.id,
            application_id: world.application.id,
            interaction_metadata: {
              id: interaction.id,
              type: interaction.type,
              user: userObject(interaction.user),
              authorizing_integration_owners: { "0": channel.guild_id ?? "0" },
              ...(interaction.name ? { name: interaction.name, command_type: 1 } : {}),
            },
          }
        : {}),
      ...(world.isThread(channel) ? { position: world.meta.get(channel.id)?.message_count ?? 0 } : {}),
    };
  }

  private record(wire: WireMessage, parts: Composed, options: BotMessageOptions): FakeMessage {
    const record: FakeMessage = {
      id: wire.id,
      channel_id: wire.channel_id,
      guild_id: wire.guild_id,
      via: options.via,
      interaction_id: options.interaction?.id,
      content: parts.content,
      attachments: parts.files,
      embeds: parts.embeds,
      components: parts.components,
      flags: parts.flags,
      allowed_mentions: parts.allowed_mentions,
      message_reference: parts.message_reference,
      tts: parts.tts,
      nonce: parts.nonce,
      deleted: false,
      versions: [],
    };
    record.versions.push(version(record));
    return record;
  }

  private publish(channel: FakeChannel, wire: WireMessage, record: FakeMessage): StoredMessage {
    const stored = this.store(wire, record);
    this.ctx.recorder.messages.push(record);
    this.ctx.recorder.emit("message-create", record);
    this.dispatchOwn("MESSAGE_CREATE", channel, wire);
    return stored;
  }

  private store(wire: WireMessage, record: FakeMessage | undefined): StoredMessage {
    const stored: StoredMessage = { wire, record, deleted: false };
    this.byId.set(wire.id, stored);
    const meta = this.ctx.world.meta.get(wire.channel_id);
    if (meta && (wire.flags & MessageFlag.Ephemeral) === 0) {
      meta.last_message_id = wire.id;
      meta.message_count += 1;
    }
    return stored;
  }

  /** The bot's own messages reach its session too (ephemeral ones never travel the gateway). */
  private dispatchOwn(t: string, channel: FakeChannel, wire: WireMessage): void {
    if ((wire.flags & MessageFlag.Ephemeral) !== 0) return;
    this.ctx.dispatch(t, wire, { inGuild: channel.guild_id !== undefined, contentGated: false });
  }
}

function version(record: FakeMessage): FakeMessage["versions"][number] {
  return {
    content: record.content,
    attachments: record.attachments,
    embeds: record.embeds,
    components: record.components,
    flags: record.flags,
    allowed_mentions: record.allowed_mentions,
    at: Date.now(),
  };
}

/** REST answers carry no gateway extras (`guild_id`, `member`, `channel_type`). */
export function restView(wire: WireMessage): WireMessage {
  const { guild_id: _guildId, member: _member, channel_type: _type, ...rest } = wire;
  return { ...rest, mentions: rest.mentions.map(({ member: _m, ...user }) => user) };
}

function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
