/**
 * Two bot processes, as `npm start` runs them, on one PostgreSQL and one Discord application,
 * each owning one of two shards (DISCORD_SHARDS=0 / 1, DISCORD_SHARD_COUNT=2): the fake gateway
 * routes each guild's events to the shard `(guild_id >> 22) % 2`, so a ```python block in each
 * guild is answered once, by the process that owns the guild's shard.
 *
 * The messages are sent while both processes still wait for their guilds (the fake holds the
 * GUILD_CREATEs): discord.js queues such events and hands them over the moment it is ready, and
 * they must not be lost.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeChannel, WireMessage } from "../fakes/discord/fake-discord.ts";
import { FakeDiscord } from "../fakes/discord/fake-discord.ts";
import { type BotProcess, exitOf, startBotProcess } from "../helpers/bot-process.ts";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { createTestSandbox, sandboxImage } from "../helpers/sandbox.ts";

const SHARD_COUNT = 2;
const SHARDS = [0, 1] as const;
const SCOPES = SHARDS.map((shard) => `discord-shard-${shard}-${process.pid}`);

let discord: FakeDiscord;
let postgres: TestPostgres;
const channels: FakeChannel[] = [];
const guildIds: string[] = [];
const bots: BotProcess[] = [];
/** What each process printed, for the failure message. */
const printed: string[] = ["", ""];

beforeAll(async () => {
  const image = await sandboxImage();
  discord = await FakeDiscord.start({ heartbeatIntervalMs: 1_000 });
  postgres = await startTestPostgres();
  const databaseUrl = await postgres.createDatabase();
  for (const shard of SHARDS) {
    const { guild, channel } = discord.addGuild({
      name: `Shard ${shard} guild`,
      shard: { id: shard, count: SHARD_COUNT },
    });
    guildIds.push(guild.id);
    channels.push(channel);
  }
  // Both sessions will wait for their guilds until the messages are sent (see the header).
  discord.holdGuilds();
  for (const shard of SHARDS) {
    const bot = startBotProcess(
      {
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
        DISCORD_SHARDS: String(shard),
        DISCORD_SHARD_COUNT: String(SHARD_COUNT),
        DATABASE_URL: databaseUrl,
        SANDBOX_IMAGE: image,
        SANDBOX_SCOPE: SCOPES[shard] ?? "",
        SANDBOX_POOL_SIZE: "0",
        LOG_LEVEL: "info",
      },
      await mkdtemp(path.join(tmpdir(), `cib-discord-shard-${shard}-`)),
    );
    bot.stderr.on("data", (chunk: Buffer) => {
      printed[shard] += chunk.toString();
    });
    bot.stdout.on("data", (chunk: Buffer) => {
      printed[shard] += chunk.toString();
    });
    bots.push(bot);
  }
  await discord.waitFor(() => discord.identifies.length >= SHARD_COUNT, {
    timeoutMs: 90_000,
    description: "both processes to identify",
  });
}, 900_000);

afterAll(async () => {
  for (const bot of bots) {
    bot.kill("SIGTERM");
    await exitOf(bot);
  }
  await discord?.close();
  await postgres?.stop();
  for (const scope of SCOPES) await (await createTestSandbox({}, scope)).cleanup();
});

describe("Discord shards over two bot processes on one PostgreSQL", () => {
  it("identifies each process as its own shard", () => {
    expect(discord.identifies.map((identify) => identify.shard).sort()).toEqual([
      [0, SHARD_COUNT],
      [1, SHARD_COUNT],
    ]);
  });

  it("answers a ```python block in each guild once", async () => {
    const sent: WireMessage[] = SHARDS.map((shard) =>
      discord.userMessage({
        channel: channels[shard] ?? "no channel",
        content: `\`\`\`python\nprint("shard", ${shard} * 1000 + 7)\n\`\`\``,
        mentionsBot: true,
      }),
    );
    discord.releaseGuilds();
    for (const message of sent) {
      await discord.waitFor(
        () => discord.reactions.some((r) => r.message_id === message.id && r.emoji === "✅" && !r.removed),
        {
          timeoutMs: 120_000,
          description: `✅ on ${message.id}
${printed.join("\n----\n")}`,
        },
      );
    }
    for (const [shard, message] of sent.entries()) {
      const answers = discord
        .messagesIn(message.id)
        .filter((m) => m.content.includes(`shard ${shard * 1000 + 7}`));
      expect(answers).toHaveLength(1);
      expect(discord.reactions.filter((r) => r.message_id === message.id && r.emoji === "✅")).toHaveLength(
        1,
      );
      // Its sandbox was started by the process that owns the guild's shard, not by the other.
      const startedFor = (output: string) =>
        output
          .split("\n")
          .some(
            (line) =>
              line.includes("sandbox container started") && line.includes(`discord:${guildIds[shard]}:`),
          );
      expect(startedFor(printed[shard] ?? "")).toBe(true);
      expect(startedFor(printed[1 - shard] ?? "")).toBe(false);
    }
  }, 300_000);
});
