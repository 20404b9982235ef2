/**
 * The bot as `npm start` composes it (src/runtime.ts: DATA_DIR, the SQLite file in it, the kept
 * files under DATA_DIR/sessions, the real Docker sandbox), driven through the in-memory adapter
 * with the fake OpenAI server: for tests about what happens to DATA_DIR itself.
 */
import { randomUUID } from "node:crypto";
import { InMemoryAdapter } from "../../src/bot/in-memory-adapter.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import { type BotRuntime, createBotRuntime } from "../../src/runtime.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { sandboxImage } from "./sandbox.ts";

export interface DataDirBot {
  config: Config;
  runtime: BotRuntime;
  adapter: InMemoryAdapter;
  fake: FakeOpenAI;
  /** Stops the bot and removes the containers of its scope (the real bot would leave them running). */
  close(): Promise<void>;
}

export async function startDataDirBot(dataDir: string, logger: Logger = silentLogger()): Promise<DataDirBot> {
  const fake = await startFakeOpenAI();
  const config = loadConfig({
    DATA_DIR: dataDir,
    SANDBOX_IMAGE: await sandboxImage(),
    SANDBOX_SCOPE: `faults-${randomUUID().slice(0, 8)}`,
    SANDBOX_POOL_SIZE: "0",
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_MODEL: "fake-model",
    OPENAI_TIMEOUT_SECONDS: "5",
    OPENAI_MAX_RETRIES: "0",
  });
  const runtime = await createBotRuntime(config, { scope: config.sandbox.scope, logger });
  const adapter = new InMemoryAdapter();
  await adapter.start(runtime.bot);
  return {
    config,
    runtime,
    adapter,
    fake,
    async close() {
      await adapter.stop();
      await runtime.close();
      await fake.close();
      for (const container of await runtime.sandbox.list())
        await runtime.sandbox.runtime.remove(container.id);
    },
  };
}
