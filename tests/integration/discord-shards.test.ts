/**
 * Two replicas of the bot splitting Discord's guilds by shard: replica A runs shard 0 and
 * replica B shard 1 of 2 (DISCORD_SHARDS / DISCORD_SHARD_COUNT), each an in-process Bot on its
 * own scripted sandbox and store, each with its own DiscordAdapter on the real discord.js, and
 * one fake Discord routing each guild's events to the shard `(guild_id >> 22) % 2`. A ```python
 * block in each guild is answered once, by the replica that owns the guild's shard, and the
 * other replica never hears of it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiscordAdapter } from "../../adapters/discord/discord-adapter.ts";
import type { DiscordShards } from "../../adapters/discord/discord-shards.ts";
import type { Bot } from "../../src/bot/bot.ts";
import { silentLogger } from "../../src/logger.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.ts";
import type { FakeChannel, WireMessage } from "../fakes/discord/fake-discord.ts";
import { FakeDiscord } from "../fakes/discord/fake-discord.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";
import { fakeDiscordAdapter } from "../helpers/discord-harness.ts";
import { modelLessBot } from "../helpers/model-less-bot.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";

const SHARD_COUNT = 2;
const SHARDS = [0, 1] as const;
/** The block sent in each shard's guild, and what the scripted sandbox prints for it. */
const BLOCKS = SHARDS.map((shard) => ({ code: `print(answer(${shard}))`, stdout: `answer ${shard} is 42` }));

interface Replica {
  sandbox: FakeSandbox;
  store: SqliteStore;
  bot: Bot;
  adapter: DiscordAdapter;
  logLines: Array<Record<string, unknown>>;
}

let discord: FakeDiscord;
/** Each shard's guild's text channel, by shard id. */
const channels: FakeChannel[] = [];
const replicas: Replica[] = [];

async function startReplica(shards: DiscordShards): Promise<Replica> {
  const { logger, lines } = collectingLogger();
  const store = openSqliteStore({ path: ":memory:", logger: silentLogger() });
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  // Both replicas can run both blocks: only the routing decides which one does.
  for (const { code, stdout } of BLOCKS) sandbox.script(code, () => ({ stdout: `${stdout}\n` }));
  const bot = modelLessBot({ store, sandbox });
  const adapter = fakeDiscordAdapter(discord, { shards, logger });
  const replica = { sandbox, store, bot, adapter, logLines: lines };
  replicas.push(replica);
  await adapter.start(bot);
  return replica;
}

beforeAll(async () => {
  discord = await FakeDiscord.start({ heartbeatIntervalMs: 1_000 });
  for (const id of SHARDS) {
    const { channel } = discord.addGuild({ name: `Shard ${id} guild`, shard: { id, count: SHARD_COUNT } });
    channels.push(channel);
  }
  await startReplica({ ids: [0], count: SHARD_COUNT });
  await startReplica({ ids: [1], count: SHARD_COUNT });
}, 120_000);

afterAll(async () => {
  for (const { adapter, bot, store } of replicas.splice(0)) {
    await adapter.stop();
    await bot.stop();
    await store.close();
  }
  await discord?.close();
});

/** The gateway connection of the replica that IDENTIFYed as `shard`. */
function connectionOfShard(shard: number): number {
  const identify = discord.frames.find((frame) => {
    const d = frame.payload.d as { shard?: unknown } | null;
    return (
      frame.direction === "in" && frame.payload.op === 2 && Array.isArray(d?.shard) && d.shard[0] === shard
    );
  });
  if (!identify) throw new Error(`no replica identified as shard ${shard}`);
  return identify.connection;
}

/** How often the fake sent MESSAGE_CREATE of `message` on `connection`. */
function deliveriesOn(connection: number, message: WireMessage): number {
  return discord.frames.filter(
    (frame) =>
      frame.connection === connection &&
      frame.direction === "out" &&
      frame.payload.t === "MESSAGE_CREATE" &&
      (frame.payload.d as { id?: unknown }).id === message.id,
  ).length;
}

function finished(message: WireMessage): Promise<true> {
  return discord.waitFor(
    () => discord.reactions.some((r) => r.message_id === message.id && r.emoji === "✅" && !r.removed),
    { timeoutMs: 30_000, description: `✅ on ${message.id}` },
  );
}

describe("Discord shards over two replicas", () => {
  it("connects each replica as its own shard, and logs which shards it runs", () => {
    expect(discord.identifies.map((identify) => identify.shard)).toEqual([
      [0, SHARD_COUNT],
      [1, SHARD_COUNT],
    ]);
    replicas.forEach((replica, shard) => {
      expect(replica.logLines).toContainEqual(
        expect.objectContaining({ msg: "Discord adapter started", shards: [shard], shardCount: SHARD_COUNT }),
      );
    });
  });

  it("answers a ```python block in each guild once, on the replica that owns the guild's shard", async () => {
    const sent = SHARDS.map((shard) =>
      discord.userMessage({
        channel: channels[shard] ?? "no channel",
        content: `\`\`\`python\n${BLOCKS[shard]?.code}\n\`\`\``,
        mentionsBot: true,
      }),
    );
    await Promise.all(sent.map(finished));

    for (const shard of SHARDS) {
      const message = sent[shard] as WireMessage;
      const { code, stdout } = BLOCKS[shard] ?? { code: "", stdout: "" };
      const owner = replicas[shard] as Replica;
      const other = replicas[1 - shard] as Replica;
      // Each replica ran its own guild's block, once, and nothing of the other guild's.
      expect(owner.sandbox.runs().map((run) => run.code)).toEqual([code]);
      expect(other.sandbox.runs().map((run) => run.code)).not.toContain(code);
      // The fake routes at once to every session it routes to: the other replica never got it.
      expect(deliveriesOn(connectionOfShard(shard), message)).toBe(1);
      expect(deliveriesOn(connectionOfShard(1 - shard), message)).toBe(0);
      // One thread from the message, one answer in it, one ✅.
      expect(discord.threads.filter((thread) => thread.message_id === message.id)).toHaveLength(1);
      const answer = discord.messagesIn(message.id).filter((m) => m.content.includes(stdout));
      expect(answer).toHaveLength(1);
      expect(discord.reactions.filter((r) => r.message_id === message.id && r.emoji === "✅")).toHaveLength(
        1,
      );
    }
    expect(replicas.map((replica) => replica.sandbox.unscripted())).toEqual([[], []]);
  });
});
