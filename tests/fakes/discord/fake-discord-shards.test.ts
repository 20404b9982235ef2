/**
 * Sharding through the real discord.js `Client`: each client IDENTIFYs with `shard: [id, count]`
 * and hears only about the guilds its shards own (`(guild_id >> 22) % count`), in READY,
 * GUILD_CREATE and every later guild event; DMs go to shard 0 only, as Discord sends them.
 */
import { once } from "node:events";
import { type Client, Events } from "discord.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { FakeDiscord, type FakeGuild } from "./fake-discord.ts";
import { shardOfGuild } from "./shards.ts";
import { nextEvent, readyClient } from "./test-client.ts";

let fake: FakeDiscord;
const clients: Client[] = [];
const sockets: WebSocket[] = [];

beforeEach(async () => {
  fake = await FakeDiscord.start();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  for (const client of clients.splice(0)) await client.destroy();
  await fake.close();
});

async function login(shards: number[], shardCount: number): Promise<Client<true>> {
  const client = await readyClient(fake, { shards, shardCount });
  clients.push(client);
  return client;
}

/** The guild ids a shard of `count` owns, by Discord's rule. */
function guildsOn(shard: number, count: number): string[] {
  return fake.guilds
    .filter((guild: FakeGuild) => shardOfGuild(guild.id, count) === shard)
    .map((guild) => guild.id)
    .sort();
}

/** The gateway connection that IDENTIFYed as `shard`. */
function connectionOf(shard: number): number {
  const identify = fake.frames.find((frame) => {
    if (frame.direction !== "in" || frame.payload.op !== 2) return false;
    const d = frame.payload.d as { shard?: unknown };
    return Array.isArray(d.shard) && d.shard[0] === shard;
  });
  if (!identify) throw new Error(`no IDENTIFY for shard ${shard}`);
  return identify.connection;
}

/** The ids in every dispatch of type `t` the fake sent on `connection`. */
function dispatchedTo(connection: number, t: string): string[] {
  return fake.frames
    .filter((f) => f.connection === connection && f.direction === "out" && f.payload.t === t)
    .map((f) => String((f.payload.d as { id?: unknown }).id));
}

describe("sharding", () => {
  it("puts a guild added for a shard on that shard", () => {
    for (const shard of [0, 1, 2]) {
      const { guild, channel } = fake.addGuild({ shard: { id: shard, count: 3 } });
      expect(shardOfGuild(guild.id, 3)).toBe(shard);
      expect(channel.guild_id).toBe(guild.id);
    }
    expect(() => fake.addGuild({ shard: { id: 3, count: 3 } })).toThrow(/not one of 0\.\.2/);
  });

  it("gives each client only its shard's guilds, and routes messages and DMs by shard", async () => {
    const zero = fake.addGuild({ name: "Zero", shard: { id: 0, count: 2 } });
    const one = fake.addGuild({ name: "One", shard: { id: 1, count: 2 } });
    const a = await login([0], 2);
    const b = await login([1], 2);
    expect(fake.identifies.map((identify) => identify.shard)).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect([...a.guilds.cache.keys()].sort()).toEqual(guildsOn(0, 2));
    expect([...b.guilds.cache.keys()].sort()).toEqual(guildsOn(1, 2));
    expect(a.guilds.cache.has(zero.guild.id) && b.guilds.cache.has(one.guild.id)).toBe(true);
    const [toA, toB] = [connectionOf(0), connectionOf(1)];
    const ready = (connection: number) =>
      fake.frames.find((f) => f.connection === connection && f.payload.t === "READY")?.payload.d as {
        guilds: Array<{ id: string }>;
      };
    expect(
      ready(toA)
        .guilds.map((g) => g.id)
        .sort(),
    ).toEqual(guildsOn(0, 2));
    expect(dispatchedTo(toB, "GUILD_CREATE").sort()).toEqual(guildsOn(1, 2));

    const atB = nextEvent(b, Events.MessageCreate);
    const inOne = fake.userMessage({ channel: one.channel, content: "for shard 1", mentionsBot: true });
    expect((await atB)[0].id).toBe(inOne.id);
    // The fake sends to every session at once: by now a frame to A would be recorded.
    expect(dispatchedTo(toA, "MESSAGE_CREATE")).toEqual([]);

    const atA = nextEvent(a, Events.MessageCreate);
    const dm = fake.dm({ content: "a DM" });
    expect((await atA)[0].id).toBe(dm.id);
    expect(dispatchedTo(toB, "MESSAGE_CREATE")).toEqual([inOne.id]);
  });

  it("announces a guild added later only on its shard", async () => {
    const a = await login([0], 2);
    const b = await login([1], 2);
    const joined = nextEvent(b, Events.GuildCreate);
    const { guild } = fake.addGuild({ name: "Late", shard: { id: 1, count: 2 } });
    expect((await joined)[0].id).toBe(guild.id);
    expect(a.guilds.cache.has(guild.id)).toBe(false);
    expect(dispatchedTo(connectionOf(0), "GUILD_CREATE")).not.toContain(guild.id);
  });

  it("lets one client run every shard and see every guild", async () => {
    // Both shards IDENTIFY at once instead of 5 s apart.
    await fake.close();
    fake = await FakeDiscord.start({ maxConcurrency: 2 });
    fake.addGuild({ shard: { id: 0, count: 2 } });
    fake.addGuild({ shard: { id: 1, count: 2 } });
    const client = await login([0, 1], 2);
    expect(fake.identifies.map((identify) => identify.shard).sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect([...client.guilds.cache.keys()].sort()).toEqual(fake.guilds.map((g) => g.id).sort());
  });

  it("closes with 4010 on a shard outside 0..count-1", async () => {
    const ws = new WebSocket(`${fake.gatewayUrl}?v=10&encoding=json`);
    sockets.push(ws);
    await once(ws, "message");
    const closed = once(ws, "close");
    ws.send(
      JSON.stringify({
        op: 2,
        d: { token: fake.token, intents: 1, properties: { os: "linux" }, shard: [2, 2] },
      }),
    );
    const [code] = (await closed) as [number];
    expect(code).toBe(4010);
    expect(fake.identifies).toMatchObject([{ shard: [2, 2], refused_with: 4010 }]);
  });
});
