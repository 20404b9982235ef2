/**
 * Which gateway shards this process runs, for several replicas of the bot splitting Discord's
 * guilds: each replica owns a fixed set of shards (DISCORD_SHARDS) out of DISCORD_SHARD_COUNT,
 * and Discord sends a guild's events only to the shard `(guild_id >> 22) % count`, so each guild
 * is handled by exactly one replica. Without either setting discord.js runs the one shard.
 */
import type { EnvReader } from "../../src/config.ts";

export interface DiscordShards {
  /** The shard ids this process runs, in the order given. */
  ids: number[];
  /** The shards of all replicas together. */
  count: number;
}

/** Discord allows more for very large bots, but a bot that big runs its own sharding manager. */
export const MAX_SHARD_COUNT = 1_000;

/** Null when neither variable is set, or when a problem was reported. */
export function readDiscordShards(read: EnvReader): DiscordShards | null {
  const listed = read.optionalString("DISCORD_SHARDS");
  // NaN marks a count already reported as wrong by `number`, so no second problem follows from it.
  const count = read.has("DISCORD_SHARD_COUNT")
    ? read.number("DISCORD_SHARD_COUNT", Number.NaN, 1, MAX_SHARD_COUNT)
    : null;
  if (listed === null) {
    if (count === null || Number.isNaN(count)) return null;
    if (count === 1) return { ids: [0], count };
    read.problem(
      `DISCORD_SHARD_COUNT=${count} needs DISCORD_SHARDS, the shard ids this replica runs ` +
        `(for example DISCORD_SHARDS=0; all replicas together cover 0 to ${count - 1}).`,
    );
    return null;
  }
  if (count === null) {
    read.problem(
      `DISCORD_SHARDS=${listed} needs DISCORD_SHARD_COUNT, the number of shards of all replicas together ` +
        "(for example DISCORD_SHARD_COUNT=2 for two replicas with DISCORD_SHARDS=0 and DISCORD_SHARDS=1).",
    );
    return null;
  }
  const ids = readShardIds(read, listed, count);
  return ids && !Number.isNaN(count) ? { ids, count } : null;
}

/** The listed ids when each is a whole number below `count` (when known) and none repeats. */
function readShardIds(read: EnvReader, listed: string, count: number): number[] | null {
  const entries = listed.split(",").map((entry) => entry.trim());
  const ids: number[] = [];
  let fine = true;
  const wrong = (message: string) => {
    read.problem(`DISCORD_SHARDS=${listed}: ${message}`);
    fine = false;
  };
  const range = Number.isNaN(count) ? "a whole number from 0" : `a whole number from 0 to ${count - 1}`;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      wrong(`"${entry}" is not a shard id (${range}); list them with commas, as in 0,1.`);
      continue;
    }
    const id = Number(entry);
    if (!Number.isNaN(count) && id >= count) {
      wrong(`shard ${id} does not exist with DISCORD_SHARD_COUNT=${count} (ids run from 0 to ${count - 1}).`);
    } else if (ids.includes(id)) {
      wrong(`shard ${id} is listed twice.`);
    } else {
      ids.push(id);
    }
  }
  return fine ? ids : null;
}

/** discord.js's ClientOptions for these shards; none for discord.js's default of one shard. */
export function shardClientOptions(shards: DiscordShards | undefined): {
  shards?: number[];
  shardCount?: number;
} {
  return shards ? { shards: [...shards.ids], shardCount: shards.count } : {};
}
