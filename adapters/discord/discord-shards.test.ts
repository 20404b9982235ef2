import { describe, expect, it } from "vitest";
import { EnvReader } from "../../src/config.ts";
import { readDiscordConfig } from "./discord-config.ts";
import { readDiscordShards, shardClientOptions } from "./discord-shards.ts";

const TOKEN = "MTAxMDEwMTAxMDEwMTAxMDEw.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB";

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  return { shards: readDiscordShards(reader), problems: reader.problems };
}

describe("DISCORD_SHARDS and DISCORD_SHARD_COUNT", () => {
  it("leave discord.js's one shard alone when neither is set", () => {
    expect(read({})).toEqual({ shards: null, problems: [] });
    const config = readDiscordConfig(new EnvReader({ DISCORD_TOKEN: TOKEN }));
    expect(config).not.toHaveProperty("shards");
    expect(shardClientOptions(config?.shards)).toEqual({});
  });

  it("give this replica its shards out of the count, as discord.js's client options", () => {
    expect(read({ DISCORD_SHARDS: " 2, 0 ", DISCORD_SHARD_COUNT: "4" })).toEqual({
      shards: { ids: [2, 0], count: 4 },
      problems: [],
    });
    const config = readDiscordConfig(
      new EnvReader({ DISCORD_TOKEN: TOKEN, DISCORD_SHARDS: "1", DISCORD_SHARD_COUNT: "2" }),
    );
    expect(config?.shards).toEqual({ ids: [1], count: 2 });
    expect(shardClientOptions(config?.shards)).toEqual({ shards: [1], shardCount: 2 });
  });

  it("take a count of 1 alone as the one shard", () => {
    expect(read({ DISCORD_SHARD_COUNT: "1" })).toEqual({ shards: { ids: [0], count: 1 }, problems: [] });
  });

  it("need each other, and say what to set", () => {
    expect(read({ DISCORD_SHARDS: "0,1" }).problems).toEqual([
      "DISCORD_SHARDS=0,1 needs DISCORD_SHARD_COUNT, the number of shards of all replicas together " +
        "(for example DISCORD_SHARD_COUNT=2 for two replicas with DISCORD_SHARDS=0 and DISCORD_SHARDS=1).",
    ]);
    expect(read({ DISCORD_SHARD_COUNT: "4" }).problems).toEqual([
      "DISCORD_SHARD_COUNT=4 needs DISCORD_SHARDS, the shard ids this replica runs " +
        "(for example DISCORD_SHARDS=0; all replicas together cover 0 to 3).",
    ]);
  });

  it("report every wrong id at once: not a number, out of range, listed twice", () => {
    const { shards, problems } = read({ DISCORD_SHARDS: "0,x,-1,4,0,", DISCORD_SHARD_COUNT: "4" });
    expect(shards).toBeNull();
    expect(problems).toEqual([
      'DISCORD_SHARDS=0,x,-1,4,0,: "x" is not a shard id (a whole number from 0 to 3); list them with commas, as in 0,1.',
      'DISCORD_SHARDS=0,x,-1,4,0,: "-1" is not a shard id (a whole number from 0 to 3); list them with commas, as in 0,1.',
      "DISCORD_SHARDS=0,x,-1,4,0,: shard 4 does not exist with DISCORD_SHARD_COUNT=4 (ids run from 0 to 3).",
      "DISCORD_SHARDS=0,x,-1,4,0,: shard 0 is listed twice.",
      'DISCORD_SHARDS=0,x,-1,4,0,: "" is not a shard id (a whole number from 0 to 3); list them with commas, as in 0,1.',
    ]);
  });

  it("check the count is 1 to 1000, without a second problem about the ids it would bound", () => {
    expect(read({ DISCORD_SHARDS: "0", DISCORD_SHARD_COUNT: "0" }).problems).toEqual([
      "DISCORD_SHARD_COUNT=0 is not a whole number from 1 to 1000.",
    ]);
    expect(read({ DISCORD_SHARDS: "1500", DISCORD_SHARD_COUNT: "1001" }).problems).toEqual([
      "DISCORD_SHARD_COUNT=1001 is not a whole number from 1 to 1000.",
    ]);
    expect(read({ DISCORD_SHARDS: "a", DISCORD_SHARD_COUNT: "two" }).problems).toEqual([
      "DISCORD_SHARD_COUNT=two is not a whole number from 1 to 1000.",
      'DISCORD_SHARDS=a: "a" is not a shard id (a whole number from 0); list them with commas, as in 0,1.',
    ]);
  });

  it("are Discord settings: without DISCORD_TOKEN they are a mistake", () => {
    const reader = new EnvReader({ DISCORD_SHARDS: "0", DISCORD_SHARD_COUNT: "2" });
    expect(readDiscordConfig(reader)).toBeNull();
    expect(reader.problems).toEqual([
      "DISCORD_TOKEN is missing (DISCORD_SHARDS and DISCORD_SHARD_COUNT are set).",
    ]);
  });
});
