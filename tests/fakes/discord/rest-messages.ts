/**
 * Channel routes: messages (create, read, history, edit, delete), the bot's own reactions,
 * the typing indicator, and threads started from a message (which take its id) or without one.
 */

import { restView } from "./messages.ts";
import { channelObject, memberObject, threadMemberObject } from "./payloads.ts";
import { ChannelType, ErrorCode } from "./protocol.ts";
import type { RouteContext, RouteSpec } from "./rest.ts";
import type { RestDeps } from "./rest-routes.ts";
import type { FakeChannel, FakeReaction, FakeThread } from "./types.ts";
import {
  type Answer,
  fail,
  invalidFormBody,
  isoTime,
  noContent,
  ok,
  str,
  unknownChannel,
  unknownMessage,
} from "./wire.ts";

/** A unicode emoji (pictograph, flag or keycap); the guild has no custom emoji. */
const UNICODE_EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)/u;
const ARCHIVE_DURATIONS = [60, 1440, 4320, 10080];

export function messageRoutes(deps: RestDeps): RouteSpec[] {
  const { world, messages, recorder, gateway } = deps;
  const inChannel =
    (handler: (channel: FakeChannel, ctx: RouteContext) => Answer): RouteSpec["handle"] =>
    (ctx) => {
      const channel = world.channels.get(ctx.params.channel_id ?? "");
      return channel ? handler(channel, ctx) : unknownChannel();
    };
  const flags = (channel: FakeChannel) => ({ inGuild: channel.guild_id !== undefined, contentGated: false });

  // Discord lists a message's reactions with it, `me` marking the bot's own; in the fake only
  // the bot reacts. The field is left out when there are none, as Discord does.
  const reactionsOn = (messageId: string) => {
    const active = recorder.reactions.filter((r) => r.message_id === messageId && !r.removed);
    if (active.length === 0) return {};
    const reactions = active.map((r) => ({
      count: 1,
      count_details: { burst: 0, normal: 1 },
      me: true,
      me_burst: false,
      burst_colors: [],
      emoji: { id: null, name: r.emoji },
    }));
    return { reactions };
  };

  const react = (add: boolean) =>
    inChannel((channel, { params }) => {
      const messageId = params.message_id ?? "";
      const stored = messages.find(channel.id, messageId);
      if (!stored) return unknownMessage();
      const emoji = params.emoji ?? "";
      if (!UNICODE_EMOJI.test(emoji)) return fail(400, ErrorCode.UnknownEmoji, "Unknown Emoji");
      const active = recorder.reactions.find(
        (r) => r.channel_id === channel.id && r.message_id === messageId && r.emoji === emoji && !r.removed,
      );
      // Adding a reaction twice or removing one that is not there are both no-ops in Discord.
      if (add === (active !== undefined)) return noContent();
      let reaction: FakeReaction;
      if (active) {
        active.removed = true;
        reaction = active;
      } else {
        reaction = { channel_id: channel.id, message_id: messageId, emoji, removed: false };
        recorder.reactions.push(reaction);
      }
      recorder.emit(add ? "reaction-add" : "reaction-remove", reaction);
      gateway.dispatch(
        add ? "MESSAGE_REACTION_ADD" : "MESSAGE_REACTION_REMOVE",
        {
          user_id: world.botUser.id,
          channel_id: channel.id,
          message_id: messageId,
          ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
          ...(add && channel.guild_id
            ? { member: memberObject(world, world.botUser, { withUser: true, guildId: channel.guild_id }) }
            : {}),
          ...(add ? { message_author_id: stored.wire.author.id } : {}),
          emoji: { id: null, name: emoji },
          burst: false,
          type: 0,
        },
        flags(channel),
      );
      return noContent();
    });

  const startThread = (channel: FakeChannel, ctx: RouteContext, messageId: string | undefined): Answer => {
    if (channel.type !== ChannelType.GuildText) {
      return fail(400, 50024, "Cannot execute action on this channel type");
    }
    const name = str(ctx.body.json.name);
    if (!name || name.length > 100) {
      return invalidFormBody(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
    const starter = messageId === undefined ? undefined : messages.find(channel.id, messageId);
    if (messageId !== undefined && !starter) return unknownMessage();
    if (messageId !== undefined && world.channels.has(messageId)) {
      return fail(400, ErrorCode.ThreadAlreadyCreated, "A thread has already been created for this message");
    }
    const requested = ctx.body.json.auto_archive_duration;
    const autoArchiveDuration =
      typeof requested === "number" && ARCHIVE_DURATIONS.includes(requested) ? requested : 4320;
    // Without a message the type is the caller's choice; Discord's documented default is private.
    const isPrivate = messageId === undefined && ctx.body.json.type !== ChannelType.PublicThread;
    const thread = world.addThread({
      parent: channel,
      name,
      owner: world.botUser,
      ...(messageId === undefined ? {} : { id: messageId }),
      private: isPrivate,
      autoArchiveDuration,
    });
    const record: FakeThread = {
      id: thread.id,
      parent_id: channel.id,
      name,
      type: thread.type,
      message_id: messageId,
      owner_id: world.botUser.id,
      auto_archive_duration: autoArchiveDuration,
      created_by: "bot",
    };
    recorder.threads.push(record);
    recorder.emit("thread-create", record);
    const member = threadMemberObject(thread, world.botUser.id, isoTime());
    const object = { ...channelObject(world, thread), member };
    if (starter) starter.wire.thread = channelObject(world, thread);
    gateway.dispatch("THREAD_CREATE", { ...object, newly_created: true }, flags(channel));
    return ok(object, 201);
  };

  return [
    {
      name: "GET /channels/{channel_id}/messages",
      auth: "bot",
      handle: inChannel((channel, { query }) => ok(messages.history(channel, query))),
    },
    {
      name: "POST /channels/{channel_id}/messages",
      auth: "bot",
      handle: inChannel((channel, { body }) => messages.createBotMessage(channel, body, { via: "channel" })),
    },
    {
      name: "GET /channels/{channel_id}/messages/{message_id}",
      auth: "bot",
      handle: inChannel((channel, { params }) => {
        const stored = messages.find(channel.id, params.message_id ?? "");
        return stored ? ok({ ...restView(stored.wire), ...reactionsOn(stored.wire.id) }) : unknownMessage();
      }),
    },
    {
      name: "PATCH /channels/{channel_id}/messages/{message_id}",
      auth: "bot",
      handle: inChannel((channel, { params, body }) => messages.edit(channel, params.message_id ?? "", body)),
    },
    {
      name: "DELETE /channels/{channel_id}/messages/{message_id}",
      auth: "bot",
      handle: inChannel((channel, { params }) => messages.remove(channel, params.message_id ?? "")),
    },
    {
      name: "POST /channels/{channel_id}/messages/{message_id}/threads",
      auth: "bot",
      handle: inChannel((channel, ctx) => startThread(channel, ctx, ctx.params.message_id ?? "")),
    },
    {
      name: "POST /channels/{channel_id}/threads",
      auth: "bot",
      handle: inChannel((channel, ctx) => startThread(channel, ctx, undefined)),
    },
    {
      name: "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
      auth: "bot",
      handle: react(true),
    },
    {
      name: "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
      auth: "bot",
      handle: react(false),
    },
    {
      name: "POST /channels/{channel_id}/typing",
      auth: "bot",
      handle: inChannel((channel) => {
        const typing = { channel_id: channel.id, at: Date.now() };
        recorder.typing.push(typing);
        recorder.emit("typing-start", typing);
        gateway.dispatch(
          "TYPING_START",
          {
            channel_id: channel.id,
            ...(channel.guild_id
              ? {
                  guild_id: channel.guild_id,
                  member: memberObject(world, world.botUser, { withUser: true, guildId: channel.guild_id }),
                }
              : {}),
            user_id: world.botUser.id,
            timestamp: Math.floor(typing.at / 1000),
          },
          flags(channel),
        );
        return noContent();
      }),
    },
  ];
}
