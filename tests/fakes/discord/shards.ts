/**
 * Sharding as Discord does it: IDENTIFY's `shard: [id, count]`, a guild's shard
 * `(guild_id >> 22) % count`, and which session a dispatch goes to: a guild's events to the
 * session of the guild's shard, everything without a guild (DMs) to shard 0 only.
 */
import { isRecord } from "./wire.ts";

export interface Shard {
  id: number;
  count: number;
}

/** What a session without `shard` in its IDENTIFY is: the only shard. */
export const ONLY_SHARD: Shard = { id: 0, count: 1 };

/** The most shards the fake accepts; Discord's own limit depends on the bot's size. */
const MAX_SHARDS = 1_000;

/** IDENTIFY's `shard` field: absent means the only shard; anything malformed is null (close 4010). */
export function readIdentifyShard(value: unknown): Shard | null {
  if (value === undefined) return ONLY_SHARD;
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [id, count] = value as unknown[];
  if (!Number.isInteger(count) || !Number.isInteger(id)) return null;
  const shard = { id: id as number, count: count as number };
  return shard.count >= 1 && shard.count <= MAX_SHARDS && shard.id >= 0 && shard.id < shard.count
    ? shard
    : null;
}

export function shardOfGuild(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}

export function ownsGuild(shard: Shard, guildId: string): boolean {
  return shardOfGuild(guildId, shard.count) === shard.id;
}

/** GUILD_CREATE, GUILD_UPDATE and GUILD_DELETE name their guild by `id`; other events by `guild_id`. */
const GUILD_OBJECT_EVENTS = new Set(["GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"]);

/** The guild a dispatch is about, or undefined for a DM (or anything else outside a guild). */
export function guildOfDispatch(t: string, d: unknown): string | undefined {
  if (!isRecord(d)) return undefined;
  if (typeof d.guild_id === "string") return d.guild_id;
  if (GUILD_OBJECT_EVENTS.has(t) && typeof d.id === "string") return d.id;
  return undefined;
}

/** Whether Discord sends a dispatch about `guildId` (undefined: no guild) to a session on `shard`. */
export function shardReceives(shard: Shard, guildId: string | undefined): boolean {
  return guildId === undefined ? shard.id === 0 : ownsGuild(shard, guildId);
}
