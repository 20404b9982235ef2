/**
 * The routes a bot reads its surroundings with: the gateway URL (`GET /gateway/bot`, where
 * discord.js learns where to connect), the current user and application, users, guild,
 * members and channels, and opening a DM channel.
 */
import type { GatewayServer } from "./gateway.ts";
import type { InteractionStore } from "./interactions.ts";
import type { MessageStore } from "./messages.ts";
import { applicationObject, channelObject, guildCreateObject, memberObject, userObject } from "./payloads.ts";
import type { Snowflakes } from "./protocol.ts";
import type { Recorder } from "./recorder.ts";
import type { RouteSpec } from "./rest.ts";
import type { FakeGuild } from "./types.ts";
import { type Answer, fail, invalidFormBody, ok, str, unknownChannel } from "./wire.ts";
import type { World } from "./world.ts";

export interface RestDeps {
  token: string;
  world: World;
  ids: Snowflakes;
  recorder: Recorder;
  messages: MessageStore;
  interactions: InteractionStore;
  gateway: GatewayServer;
  maxConcurrency: number;
}

const SESSION_STARTS_PER_DAY = 1_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function metaRoutes(deps: RestDeps): RouteSpec[] {
  const { world, gateway, recorder } = deps;
  const unknownUser = () => fail(404, 10013, "Unknown User");
  const unknownGuild = () => fail(404, 10004, "Unknown Guild");
  const application = () => ok(applicationObject(world));
  return [
    { name: "GET /gateway", auth: "none", handle: () => ok({ url: gateway.url }) },
    {
      name: "GET /gateway/bot",
      auth: "bot",
      handle: () =>
        ok({
          url: gateway.url,
          shards: 1,
          session_start_limit: {
            total: SESSION_STARTS_PER_DAY,
            remaining: Math.max(0, SESSION_STARTS_PER_DAY - recorder.identifies.length),
            reset_after: DAY_MS,
            max_concurrency: deps.maxConcurrency,
          },
        }),
    },
    {
      name: "GET /users/@me",
      auth: "bot",
      handle: () => ok({ ...userObject(world.botUser), verified: true, mfa_enabled: false, email: null }),
    },
    {
      name: "GET /users/{user_id}",
      auth: "bot",
      handle: ({ params }) => {
        const user = world.users.get(params.user_id ?? "");
        return user ? ok(userObject(user)) : unknownUser();
      },
    },
    {
      name: "POST /users/@me/channels",
      auth: "bot",
      handle: ({ body }) => {
        const id = str(body.json.recipient_id);
        if (!id) return invalidFormBody(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required");
        const user = world.users.get(id);
        if (!user || user.id === world.botUser.id) return fail(400, 50033, "Invalid Recipient(s)");
        return ok(channelObject(world, world.dmChannel(user)));
      },
    },
    { name: "GET /applications/@me", auth: "bot", handle: application },
    { name: "GET /oauth2/applications/@me", auth: "bot", handle: application },
    {
      name: "GET /guilds/{guild_id}",
      auth: "bot",
      handle: ({ params, query }) => {
        const guild = world.guildOf(params.guild_id);
        if (!guild) return unknownGuild();
        return ok(restGuild(world, guild, query.get("with_counts") === "true"));
      },
    },
    {
      name: "GET /guilds/{guild_id}/members/{user_id}",
      auth: "bot",
      handle: ({ params }): Answer => {
        const guild = world.guildOf(params.guild_id);
        if (!guild) return unknownGuild();
        const user = world.users.get(params.user_id ?? "");
        return user
          ? ok(memberObject(world, user, { withUser: true, guildId: guild.id }))
          : fail(404, 10007, "Unknown Member");
      },
    },
    {
      name: "GET /channels/{channel_id}",
      auth: "bot",
      handle: ({ params }) => {
        const channel = world.channels.get(params.channel_id ?? "");
        return channel ? ok(channelObject(world, channel)) : unknownChannel();
      },
    },
  ];
}

/** The REST guild object: GUILD_CREATE without the gateway-only lists. */
function restGuild(world: World, guild: FakeGuild, withCounts: boolean): Record<string, unknown> {
  const {
    channels: _channels,
    threads: _threads,
    members: _members,
    voice_states: _voice,
    presences: _presences,
    joined_at: _joined,
    large: _large,
    member_count: memberCount,
    unavailable: _unavailable,
    lazy: _lazy,
    stage_instances: _stage,
    guild_scheduled_events: _events,
    soundboard_sounds: _sounds,
    embedded_activities: _activities,
    activity_instances: _instances,
    ...rest
  } = guildCreateObject(world, guild);
  return withCounts
    ? { ...rest, approximate_member_count: memberCount, approximate_presence_count: 0 }
    : rest;
}
