/**
 * A message Discord sends the moment a session is READY, right behind its guilds' GUILD_CREATEs,
 * as after a restart in a busy server: discord.js hands it over as soon as the client is ready,
 * which can be before the adapter's start() has resumed, and it must be answered all the same.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { DiscordAdapter } from "../../adapters/discord/discord-adapter.ts";
import type { Bot } from "../../src/bot/bot.ts";
import { silentLogger } from "../../src/logger.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.ts";
import { FakeDiscord, type WireMessage } from "../fakes/discord/fake-discord.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { fakeDiscordAdapter } from "../helpers/discord-harness.ts";
import { modelLessBot } from "../helpers/model-less-bot.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";

const CODE = 'print("early bird")';

let discord: FakeDiscord;
let store: SqliteStore;
let bot: Bot;
let adapter: DiscordAdapter;

beforeAll(async () => {
  discord = await FakeDiscord.start({ heartbeatIntervalMs: 1_000 });
  store = openSqliteStore({ path: ":memory:", logger: silentLogger() });
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  sandbox.script(CODE, () => ({ stdout: "early bird\n" }));
  bot = modelLessBot({ store, sandbox });
  adapter = fakeDiscordAdapter(discord);
});

afterAll(async () => {
  await adapter?.stop();
  await bot?.stop();
  await store?.close();
  await discord?.close();
});

describe("Discord adapter start-up", () => {
  it("answers a message that arrives right behind READY and the guilds", async () => {
    const early = new Promise<WireMessage>((resolve) => {
      discord.events.once("gateway-identify", () =>
        // After identify() has pushed READY and the GUILD_CREATEs: the next frame on the socket.
        queueMicrotask(() =>
          resolve(discord.userMessage({ content: `\`\`\`python\n${CODE}\n\`\`\``, mentionsBot: true })),
        ),
      );
    });
    await adapter.start(bot);
    const message = await early;
    await discord.waitFor(
      () => discord.reactions.some((r) => r.message_id === message.id && r.emoji === "✅"),
      { timeoutMs: 30_000, description: "✅ on the early message" },
    );
  });
});
