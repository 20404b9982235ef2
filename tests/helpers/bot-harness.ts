/**
 * The whole core wired for a test: the real `openai` client against the fake OpenAI server
 * over HTTP, the real Docker sandbox (or a sandbox the test passes in, such as the scripted
 * FakeSandbox), a real SQLite file, and the in-memory adapter.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAccessGate, type PolicyAccessGate } from "../../src/access/access-gate.ts";
import { createChatModel } from "../../src/agent/model-client.ts";
import { Bot } from "../../src/bot/bot.ts";
import { InMemoryAdapter } from "../../src/bot/in-memory-adapter.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import type { Sandbox } from "../../src/sandbox/sandbox.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { Store } from "../../src/store/types.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { createTestSandbox } from "./sandbox.ts";

/** The sandbox a harness runs on, and how to let go of it when the harness closes. */
export interface HarnessSandbox {
  manager: Sandbox;
  cleanup: () => Promise<void>;
}

export interface BotHarnessOptions {
  /** Runs the bot on this sandbox instead of a fresh Docker one; the harness shuts it down on close. */
  sandbox?: Sandbox;
  /** Where the bot, the model client, the store and the Docker sandbox log; silent by default. */
  logger?: Logger;
  /** The key the fake OpenAI server expects and the bot is configured with. */
  apiKey?: string;
}

export interface BotHarness {
  fake: FakeOpenAI;
  /** Docker's (a TestSandbox) unless the harness was given a sandbox. */
  sandbox: HarnessSandbox;
  config: Config;
  /** The access rules from ACCESS_* (and the policy file, polled every 50 ms). */
  access: PolicyAccessGate;
  databasePath: string;
  store: Store;
  bot: Bot;
  adapter: InMemoryAdapter;
  /** Replaces bot and store with fresh ones on the same database file: a restart of the bot. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function createBotHarness(
  env: Record<string, string> = {},
  withModel = true,
  options: BotHarnessOptions = {},
): Promise<BotHarness> {
  const fake = await startFakeOpenAI(options.apiKey ? { apiKey: options.apiKey } : {});
  const given = options.sandbox;
  const logger = options.logger ?? silentLogger();
  const sandbox: HarnessSandbox = given
    ? { manager: given, cleanup: () => given.shutdown() }
    : await createTestSandbox({}, undefined, logger.child({ component: "sandbox" }));
  const databasePath = path.join(await mkdtemp(path.join(tmpdir(), "cib-bot-")), "bot.sqlite");
  const config = loadConfig({
    ...(withModel ? { OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.baseURL } : {}),
    OPENAI_MODEL: "fake-model",
    OPENAI_TIMEOUT_SECONDS: "3",
    OPENAI_STREAM_IDLE_SECONDS: "1",
    OPENAI_MAX_RETRIES: "2",
    ...env,
  });
  const access = createAccessGate(config.access, {
    logger: logger.child({ component: "access" }),
    pollIntervalMs: 50,
  });
  const build = () => {
    const store = openSqliteStore({ path: databasePath, logger: logger.child({ component: "store" }) });
    const apiKey = config.model.apiKey;
    const bot = new Bot({
      store,
      sandbox: sandbox.manager,
      model: apiKey
        ? createChatModel({
            config: { ...config.model, apiKey },
            logger: logger.child({ component: "model" }),
          })
        : null,
      agent: config.agent,
      modelSeesImages: config.model.supportsImages,
      followThreads: config.followThreads,
      usage: config.usage,
      access,
      logger: logger.child({ component: "bot" }),
    });
    return { store, bot };
  };
  const harness: BotHarness = {
    fake,
    sandbox,
    config,
    access,
    databasePath,
    ...build(),
    adapter: new InMemoryAdapter(),
    async restart() {
      await harness.bot.stop();
      await harness.store.close();
      Object.assign(harness, build());
      await harness.adapter.start(harness.bot);
    },
    async close() {
      await harness.bot.stop();
      access.close();
      await harness.store.close();
      await fake.close();
      await sandbox.cleanup();
    },
  };
  await harness.adapter.start(harness.bot);
  return harness;
}

export function ofType<T extends ReplyEvent["type"]>(
  events: ReplyEvent[],
  type: T,
): Extract<ReplyEvent, { type: T }>[] {
  return events.filter((event): event is Extract<ReplyEvent, { type: T }> => event.type === type);
}

/** A tool call asking the sandbox to run `code`, as the model would send it. */
export function pythonCall(code: string): { name: string; arguments: string } {
  return { name: "python", arguments: JSON.stringify({ code }) };
}

/** The content of the last message the model was sent in a request, as text. */
export function lastMessageText(messages: ReadonlyArray<Readonly<Record<string, unknown>>>): string {
  const content = messages.at(-1)?.content;
  return typeof content === "string" ? content : JSON.stringify(content);
}
