/**
 * Who and where: the bot and its application, the fixture guild with its text channel, the
 * users (all guild members), threads and DM channels. Tests add to it; payload builders and
 * routes read it.
 */
import { ChannelType, type Snowflakes, snowflakeTime } from "./protocol.ts";
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
  readonly guild: FakeGuild;
  readonly channel: FakeChannel;
  /** The default author of users' messages and commands. */
  readonly user: FakeUser;
  /** The managed role Discord gives a bot in each guild it joins. */
  readonly botRoleId: string;
  readonly users = new Map<string, FakeUser>();
  readonly channels = new Map<string, FakeChannel>();
  readonly meta = new Map<string, ChannelMeta>();
  /** Roles tests made, in the order made (their positions above the bot's role). */
  readonly roles: FakeRole[] = [];
  private readonly joinedAt = new Map<string, string>();
  private readonly memberRoles = new Map<string, string[]>();

  constructor(
    private readonly ids: Snowflakes,
    names: WorldOptions,
  ) {
    const owner = this.addUser({ username: "owner" });
    this.botUser = this.addUser({ username: names.botUsername, bot: true });
    this.application = { id: this.botUser.id, name: names.botUsername, flags: names.applicationFlags };
    this.guild = { id: ids.next(), name: names.guildName, owner_id: owner.id };
    this.botRoleId = ids.next();
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

  addTextChannel(name: string): FakeChannel {
    return this.put(
      {
        id: this.ids.next(),
        type: ChannelType.GuildText,
        name,
        guild_id: this.guild.id,
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
        guild_id: this.guild.id,
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

  /** A member's role ids, as Discord lists them: `@everyone` is implied, never listed. */
  rolesOf(userId: string): string[] {
    return userId === this.botUser.id ? [this.botRoleId] : [...(this.memberRoles.get(userId) ?? [])];
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
