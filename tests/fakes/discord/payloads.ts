/**
 * Object builders: the user, member, role, channel, guild (GUILD_CREATE), application and
 * READY objects Discord sends, built from the world's state.
 */
import { API_VERSION, ChannelType, EVERYONE_PERMISSIONS, snowflakeTime } from "./protocol.ts";
import type { FakeChannel, FakeGuild, FakeRole, FakeUser } from "./types.ts";
import { isoTime } from "./wire.ts";
import type {
  WireApplication,
  WireChannel,
  WireMember,
  WireRole,
  WireThreadMember,
  WireUser,
} from "./wire-types.ts";
import type { World } from "./world.ts";

export function userObject(user: FakeUser): WireUser {
  return {
    id: user.id,
    username: user.username,
    discriminator: "0",
    global_name: user.global_name,
    avatar: null,
    ...(user.bot ? { bot: true } : {}),
    public_flags: 0,
    flags: 0,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    primary_guild: null,
    collectibles: null,
  };
}

/** A member of `options.guildId` (the fixture guild when left out). */
export function memberObject(
  world: World,
  user: FakeUser,
  options: { withUser: boolean; guildId?: string | undefined },
): WireMember {
  return {
    ...(options.withUser ? { user: userObject(user) } : {}),
    nick: null,
    avatar: null,
    banner: null,
    roles: world.rolesOf(user.id, options.guildId),
    joined_at: world.memberJoinedAt(user.id),
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
}

function role(id: string, name: string, position: number, permissions: string, botId?: string): WireRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions,
    managed: botId !== undefined,
    mentionable: false,
    flags: 0,
    ...(botId ? { tags: { bot_id: botId } } : {}),
  };
}

/**
 * `@everyone` has the guild's id, as in Discord; the bot's managed role adds nothing to it, and
 * neither do the roles tests make (they only tell members apart, in the fixture guild).
 */
export function rolesObject(world: World, guild: FakeGuild = world.guild): WireRole[] {
  const botRole = world.botRoleIn(guild.id);
  return [
    role(guild.id, "@everyone", 0, EVERYONE_PERMISSIONS),
    role(botRole, world.botUser.username, 1, EVERYONE_PERMISSIONS, world.botUser.id),
    ...(guild.id === world.guild.id ? world.roles.map((made, index) => roleObject(made, index + 2)) : []),
  ];
}

/** A role tests made, with no permissions of its own. */
export function roleObject(made: FakeRole, position: number): WireRole {
  return role(made.id, made.name, position, "0");
}

export function threadMemberObject(thread: FakeChannel, userId: string, joinedAt: string): WireThreadMember {
  return { id: thread.id, user_id: userId, join_timestamp: joinedAt, flags: 0 };
}

export function channelObject(world: World, channel: FakeChannel): WireChannel {
  const meta = world.meta.get(channel.id);
  const base = {
    id: channel.id,
    type: channel.type,
    flags: 0,
    last_message_id: meta?.last_message_id ?? null,
  };
  if (channel.type === ChannelType.DM) {
    const recipient = channel.recipient_id ? world.users.get(channel.recipient_id) : undefined;
    return { ...base, name: null, recipients: recipient ? [userObject(recipient)] : [] };
  }
  if (world.isThread(channel)) {
    const created = meta?.created_at ?? isoTime(snowflakeTime(channel.id));
    return {
      ...base,
      guild_id: channel.guild_id ?? world.guild.id,
      name: channel.name,
      parent_id: channel.parent_id ?? null,
      ...(channel.owner_id ? { owner_id: channel.owner_id } : {}),
      rate_limit_per_user: 0,
      thread_metadata: {
        archived: false,
        auto_archive_duration: meta?.auto_archive_duration ?? 4320,
        archive_timestamp: created,
        locked: false,
        ...(channel.type === ChannelType.PrivateThread ? { invitable: true } : {}),
        create_timestamp: created,
      },
      message_count: meta?.message_count ?? 0,
      total_message_sent: meta?.message_count ?? 0,
      member_count: 1,
    };
  }
  const siblings = [...world.channels.values()].filter(
    (c) => c.type === ChannelType.GuildText && c.guild_id === channel.guild_id,
  );
  return {
    ...base,
    guild_id: channel.guild_id ?? world.guild.id,
    name: channel.name,
    position: siblings.indexOf(channel),
    permission_overwrites: [],
    parent_id: null,
    topic: null,
    nsfw: false,
    rate_limit_per_user: 0,
    default_auto_archive_duration: 4320,
  };
}

/** GUILD_CREATE: the whole guild, with the channels, threads, roles and members a bot sees. */
export function guildCreateObject(world: World, guild: FakeGuild = world.guild): Record<string, unknown> {
  const channels = [...world.channels.values()].filter((c) => c.guild_id === guild.id);
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    icon_hash: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.owner_id,
    region: "deprecated",
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    application_id: null,
    system_channel_id: world.systemChannelOf(guild)?.id ?? null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    max_members: 500_000,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: "en-US",
    nsfw_level: 0,
    nsfw: false,
    hub_type: null,
    incidents_data: null,
    features: [],
    roles: rolesObject(world, guild),
    emojis: [],
    stickers: [],
    joined_at: world.memberJoinedAt(world.botUser.id),
    large: false,
    unavailable: false,
    lazy: true,
    member_count: world.users.size,
    voice_states: [],
    // Without GUILD_MEMBERS Discord sends only the bot's own member (and voice members).
    members: [memberObject(world, world.botUser, { withUser: true, guildId: guild.id })],
    channels: channels.filter((c) => !world.isThread(c)).map((c) => withoutGuildId(channelObject(world, c))),
    threads: channels.filter((c) => world.isThread(c)).map((c) => withoutGuildId(channelObject(world, c))),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    embedded_activities: [],
    activity_instances: [],
  };
}

/** GUILD_CREATE's channels carry no `guild_id`; the guild around them says it. */
function withoutGuildId(channel: WireChannel): WireChannel {
  const { guild_id: _guildId, ...rest } = channel;
  return rest;
}

export function applicationObject(world: World): WireApplication {
  const bot = userObject(world.botUser);
  const owner = world.users.get(world.guild.owner_id);
  return {
    id: world.application.id,
    name: world.application.name,
    icon: null,
    description: "",
    summary: "",
    type: null,
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: "0".repeat(64),
    flags: world.application.flags,
    flags_new: String(world.application.flags),
    owner: owner ? userObject(owner) : bot,
    team: null,
    bot,
    integration_types_config: { "0": {} },
    approximate_guild_count: world.guilds.length,
    redirect_uris: [],
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
  };
}

/** READY lists, as unavailable, the guilds this session's shard owns; their GUILD_CREATEs follow. */
export function readyObject(
  world: World,
  session: { id: string; resumeUrl: string; shard: unknown; guilds: FakeGuild[] },
): Record<string, unknown> {
  return {
    v: API_VERSION,
    user: { ...userObject(world.botUser), verified: true, mfa_enabled: false, email: null },
    guilds: session.guilds.map((guild) => ({ id: guild.id, unavailable: true })),
    session_id: session.id,
    session_type: "normal",
    resume_gateway_url: session.resumeUrl,
    ...(Array.isArray(session.shard) ? { shard: session.shard } : {}),
    application: { id: world.application.id, flags: world.application.flags },
    private_channels: [],
    presences: [],
    relationships: [],
    guild_join_requests: [],
    user_settings: {},
    auth: {},
    geo_ordered_rtc_regions: ["fake-local"],
    _trace: ['["gateway-fake",{"micros":0}]'],
  };
}
