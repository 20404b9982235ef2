/** Discord's settings, read and checked with the core's EnvReader so every problem is reported at once. */
import { PermissionsBitField } from "discord.js";
import type { EnvReader } from "../../src/config.ts";
import { type DiscordShards, readDiscordShards } from "./discord-shards.ts";

export interface DiscordConfig {
  token: string;
  /** The REST base, without the version: Discord's own, or a proxy's (tests point it at a fake). */
  apiUrl: string;
  /** Registers the slash commands in this guild only (instant, for development); global when null. */
  guildId: string | null;
  ignoreOtherBots: boolean;
  /** The largest file the bot attaches; Discord's limit depends on the server's boost level. */
  uploadLimitBytes: number;
  /** The gateway shards this replica runs (DISCORD_SHARDS of DISCORD_SHARD_COUNT); absent: the one shard. */
  shards?: DiscordShards;
}

/** What the bot needs in a server: read and answer, in threads it starts, with files and reactions. */
export const BOT_PERMISSIONS = new PermissionsBitField([
  "ViewChannel",
  "SendMessages",
  "SendMessagesInThreads",
  "CreatePublicThreads",
  "ReadMessageHistory",
  "AttachFiles",
  "AddReactions",
]);

const SNOWFLAKE = /^\d{17,20}$/;

/** Null when Discord is not configured (no DISCORD_TOKEN). */
export function readDiscordConfig(read: EnvReader): DiscordConfig | null {
  const token = read.optionalString("DISCORD_TOKEN");
  const apiUrl = read.url("DISCORD_API_URL") ?? "https://discord.com/api";
  const guildId = read.optionalString("DISCORD_GUILD_ID");
  const ignoreOtherBots = read.boolean("DISCORD_IGNORE_BOTS", true);
  const uploadMb = read.number("DISCORD_UPLOAD_LIMIT_MB", 10, 1, 500);
  if (!token) {
    const set = ["DISCORD_GUILD_ID", "DISCORD_SHARDS", "DISCORD_SHARD_COUNT"].filter((name) =>
      read.has(name),
    );
    const verb = set.length === 1 ? "is" : "are";
    if (set.length > 0) read.problem(`DISCORD_TOKEN is missing (${set.join(" and ")} ${verb} set).`);
    return null;
  }
  // A bot token is three dot-separated parts; a pasted client secret or OAuth token is not.
  if (token.split(".").length !== 3) {
    read.problem(
      "DISCORD_TOKEN does not look like a bot token (Developer Portal → your app → Bot → Reset Token).",
    );
  }
  if (guildId && !SNOWFLAKE.test(guildId))
    read.problem(`DISCORD_GUILD_ID=${guildId} is not a Discord id (a long number).`);
  const shards = readDiscordShards(read);
  return {
    token,
    apiUrl: apiUrl.replace(/\/+$/, ""),
    guildId,
    ignoreOtherBots,
    uploadLimitBytes: uploadMb * 1024 * 1024,
    // Left out rather than null when unset: one shard is what discord.js does by itself.
    ...(shards ? { shards } : {}),
  };
}
