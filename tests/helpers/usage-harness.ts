/**
 * The core wired for usage and limit tests: the real `openai` client against the fake OpenAI
 * server, the scripted FakeSandbox (Docker is not the point here), a real SQLite file, the
 * in-memory adapter, a clock the test moves, and the access gate the test chooses. Every
 * acquire of a sandbox is counted, so a test can show that a refusal started none.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AccessGate } from "../../src/access/access-decision.ts";
import { createChatModel } from "../../src/agent/model-client.ts";
import { Bot } from "../../src/bot/bot.ts";
import type { BotObserver, RequestOutcome, RequestUsageReport } from "../../src/bot/bot-observer.ts";
import { InMemoryAdapter } from "../../src/bot/in-memory-adapter.ts";
import type { StatusSource } from "../../src/bot/status-report.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";

export interface UsageHarness {
  fake: FakeOpenAI;
  sandbox: FakeSandbox;
  /** Sandbox acquires, per conversation key, in order. */
  acquired: string[];
  config: Config;
  databasePath: string;
  store: SqliteStore;
  bot: Bot;
  adapter: InMemoryAdapter;
  /** What the bot told its observer. */
  finished: RequestOutcome[];
  usage: RequestUsageReport[];
  /** The bot's clock, in ms since the epoch; tests set it. */
  clock: { now: number };
  close(): Promise<void>;
}

export interface UsageHarnessOptions {
  env?: Record<string, string>;
  access?: AccessGate;
  /** Where the clock starts. */
  now?: number;
  /** For the model client, to see what it logs. */
  modelLogger?: Logger;
  /** What the admins' `status` reports beyond the store. */
  status?: StatusSource;
}

export async function createUsageHarness(options: UsageHarnessOptions = {}): Promise<UsageHarness> {
  const fake = await startFakeOpenAI();
  const databasePath = path.join(await mkdtemp(path.join(tmpdir(), "cib-usage-")), "bot.sqlite");
  const config = loadConfig({
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_MODEL: "fake-model",
    OPENAI_TIMEOUT_SECONDS: "3",
    OPENAI_STREAM_IDLE_SECONDS: "1",
    OPENAI_MAX_RETRIES: "0",
    ...options.env,
  });
  const sandbox = new FakeSandbox();
  const store = openSqliteStore({ path: databasePath, logger: silentLogger() });
  const clock = { now: options.now ?? Date.now() };
  const apiKey = fake.apiKey;
  const bot = new Bot({
    store,
    sandbox,
    model: createChatModel({
      config: { ...config.model, apiKey },
      logger: options.modelLogger ?? silentLogger(),
    }),
    agent: config.agent,
    modelSeesImages: false,
    usage: config.usage,
    ...(options.access ? { access: options.access } : {}),
    ...(options.status ? { status: options.status } : {}),
    logger: silentLogger(),
    now: () => clock.now,
  });
  const finished: RequestOutcome[] = [];
  const usage: RequestUsageReport[] = [];
  const observer: BotObserver = {
    requestFinished: (request) => finished.push(request.outcome),
    codeRunFinished: () => {},
    requestUsage: (report) => usage.push(report),
  };
  bot.observe(observer);
  const adapter = new InMemoryAdapter();
  await adapter.start(bot);
  return {
    fake,
    sandbox,
    acquired: sandbox.acquired,
    config,
    databasePath,
    store,
    bot,
    adapter,
    finished,
    usage,
    clock,
    async close() {
      await bot.stop();
      await store.close();
      await fake.close();
    },
  };
}
