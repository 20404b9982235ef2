/**
 * Who and where: the bot and its application, the fixture guild with its text channel (and any
 * further guilds a test adds, for sharding), the users (members of every guild), threads and
 * DM channels. Tests add to it; payload builders and routes read it.
 */
import { ChannelType, type Snowflakes, snowflakeTime } from "./protocol.ts";
import type { Shard } from "./shards.ts";
import type { FakeApplication, FakeChannel, FakeGuild, FakeRole, FakeUser } from "./types.ts";
import { isoTime } from "./wire.ts";

export interface ChannelMeta {
  last_message_id: string | null;
  message_count: number;
  /** Threads only. */
  auto_archive_duration: number;
  created_at: string;
}

export interface WorldOptions {
  botUsername: string;
  guildName: string;
  channelName: string;
  /** The application's flags, which tell which privileged intents it may use. */
  applicationFlags: number;
}

export class World {
  readonly botUser: FakeUser;
  readonly application: FakeApplication;
  /** The fixture guild; the roles tests make live here. */
  readonly guild: FakeGuild;
  /** Every guild the bot is in, the fixture guild first. */
  readonly guilds: FakeGuild[] = [];
  readonly channel: FakeChannel;
  /** The default author of users' messages and commands. */
  readonly user: FakeUser;
  /** The managed role Discord gives a bot in each guild it joins: the fixture guild's. */
  readonly botRoleId: string;
  readonly users = new Map<string, FakeUser>();
  readonly channels = new Map<string, FakeChannel>();
  readonly meta = new Map<string, ChannelMeta>();
  /** Roles tests made, in the order made (their positions above the bot's role). */
  readonly roles: FakeRole[] = [];
  private readonly joinedAt = new Map<string, string>();
  private readonly memberRoles = new Map<string, string[]>();
  /** Guild id → the bot's managed role there. */
  private readonly botRoles = new Map<string, string>();

  constructor(
    private readonly ids: Snowflakes,
    names: WorldOptions,
  ) {
    const owner = this.addUser({ username: "owner" });
    this.botUser = this.addUser({ username: names.botUsername, bot: true });
    this.application = { id: this.botUser.id, name: names.botUsername, flags: names.applicationFlags };
    this.guild = this.putGuild({ id: ids.next(), name: names.guildName, owner_id: owner.id });
    this.botRoleId = this.botRoleIn(this.guild.id);
    this.channel = this.addTextChannel(names.channelName);
    this.user = this.addUser({ username: "alice", globalName: "Alice" });
  }

  addUser(options: { username?: string; globalName?: string; bot?: boolean } = {}): FakeUser {
    const id = this.ids.next();
    const username = options.username ?? `user${this.users.size + 1}`;
    const user: FakeUser = {
      id,
      username,
      global_name: options.globalName ?? null,
      bot: options.bot ?? false,
    };
    this.users.set(id, user);
    this.joinedAt.set(id, isoTime());
    return user;
  }

  /**
   * Another guild the bot is in, owned by the fixture guild's owner, with one text channel;
   * with `shard`, its id lands on that shard (`(id >> 22) % count`) as a sharding test needs.
   */
  addGuild(name: string, channelName: string, shard?: Shard): { guild: FakeGuild; channel: FakeChannel } {
    const id = shard ? this.ids.nextOnShard(shard.id, shard.count) : this.ids.next();
    const guild = this.putGuild({ id, name, owner_id: this.guild.owner_id });
    return { guild, channel: this.addTextChannel(channelName, guild) };
  }

  guildOf(id: string | undefined): FakeGuild | undefined {
    return this.guilds.find((guild) => guild.id === id);
  }

  /** The guild's first text channel, where Discord posts its system messages. */
  systemChannelOf(guild: FakeGuild): FakeChannel | undefined {
    return [...this.channels.values()].find(
      (channel) => channel.guild_id === guild.id && channel.type === ChannelType.GuildText,
    );
  }

  /** The bot's managed role in a guild (the fixture guild's for an id the world does not know). */
  botRoleIn(guildId: string): string {
    return this.botRoles.get(guildId) ?? this.botRoles.get(this.guild.id) ?? "";
  }

  addTextChannel(name: string, guild: FakeGuild = this.guild): FakeChannel {
    return this.put(
      {
        id: this.ids.next(),
        type: ChannelType.GuildText,
        name,
        guild_id: guild.id,
        parent_id: undefined,
        recipient_id: undefined,
        owner_id: undefined,
      },
      0,
    );
  }

  /** A thread's id is its starter message's id when it was started from one, as in Discord. */
  addThread(options: {
    parent: FakeChannel;
    name: string;
    owner: FakeUser;
    id?: string;
    private?: boolean;
    autoArchiveDuration?: number;
  }): FakeChannel {
    return this.put(
      {
        id: options.id ?? this.ids.next(),
        type: options.private ? ChannelType.PrivateThread : ChannelType.PublicThread,
        name: options.name,
        guild_id: options.parent.guild_id,
        parent_id: options.parent.id,
        recipient_id: undefined,
        owner_id: options.owner.id,
      },
      options.autoArchiveDuration ?? 4320,
    );
  }

  /** The one DM channel between the bot and `user`, opened on first use as Discord does. */
  dmChannel(user: FakeUser): FakeChannel {
    for (const channel of this.channels.values()) {
      if (channel.type === ChannelType.DM && channel.recipient_id === user.id) return channel;
    }
    return this.put(
      {
        id: this.ids.next(),
        type: ChannelType.DM,
        name: null,
        guild_id: undefined,
        parent_id: undefined,
        recipient_id: user.id,
        owner_id: undefined,
      },
      0,
    );
  }

  /** Resolves a test's channel argument; an unknown id is a mistake in the test. */
  resolveChannel(channel: FakeChannel | string | undefined): FakeChannel {
    if (channel === undefined) return this.channel;
    const id = typeof channel === "string" ? channel : channel.id;
    const known = this.channels.get(id);
    if (!known) throw new Error(`fake Discord: no channel ${id}; add it with addChannel() or startThread()`);
    return known;
  }

  isThread(channel: FakeChannel): boolean {
    return channel.type === ChannelType.PublicThread || channel.type === ChannelType.PrivateThread;
  }

  memberJoinedAt(userId: string): string {
    return this.joinedAt.get(userId) ?? isoTime(snowflakeTime(this.guild.id));
  }

  /** A member's role ids in a guild, as Discord lists them: `@everyone` is implied, never listed. */
  rolesOf(userId: string, guildId: string = this.guild.id): string[] {
    if (userId === this.botUser.id) return [this.botRoleIn(guildId)];
    return guildId === this.guild.id ? [...(this.memberRoles.get(userId) ?? [])] : [];
  }

  addRole(name: string): FakeRole {
    const role = { id: this.ids.next(), name };
    this.roles.push(role);
    return role;
  }

  giveRole(userId: string, roleId: string): void {
    const roles = this.memberRoles.get(userId) ?? [];
    if (!roles.includes(roleId)) this.memberRoles.set(userId, [...roles, roleId]);
  }

  private putGuild(guild: FakeGuild): FakeGuild {
    this.guilds.push(guild);
    this.botRoles.set(guild.id, this.ids.next());
    return guild;
  }

  private put(channel: FakeChannel, autoArchiveDuration: number): FakeChannel {
    this.channels.set(channel.id, channel);
    this.meta.set(channel.id, {
      last_message_id: null,
      message_count: 0,
      auto_archive_duration: autoArchiveDuration,
      created_at: isoTime(),
    });
    return channel;
  }
}
