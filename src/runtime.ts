/**
 * Builds the bot from configuration: store, sandbox, model and core, in that order, and
 * takes them down in reverse. The long-running bot and the `ask` command share it.
 */
import { randomUUID } from "node:crypto";
import { createAccessGate } from "./access/access-gate.ts";
import { type ChatModel, createChatModel } from "./agent/model-client.ts";
import { Bot } from "./bot/bot.ts";
import { REPLICA_ALIVE_WITHIN_MS } from "./bot/replica-presence.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { openSandbox } from "./sandbox/open-sandbox.ts";
import type { SandboxManager } from "./sandbox/session-manager.ts";
import { describeDatabase } from "./store/database-config.ts";
import { openStore } from "./store/open-store.ts";
import { prepareDataDir } from "./store/private-files.ts";
import type { Store } from "./store/types.ts";
import { botVersion } from "./version.ts";

export interface BotRuntime {
  bot: Bot;
  store: Store;
  sandbox: SandboxManager;
  /** Null when no LLM is configured. */
  model: ChatModel | null;
  /** The chat platforms being served, as the admins' `status` reports them; main.ts fills it. */
  platforms: string[];
  /** Stops the bot, detaches from sandboxes (they keep running for the next start) and closes the store. */
  close(): Promise<void>;
}

export interface BotRuntimeOptions {
  scope: string;
  logger: Logger;
  onBuildProgress?: (line: string) => void;
  /** Overrides SANDBOX_POOL_SIZE (the CLI keeps no warm containers). */
  poolSize?: number;
  /** For tests: a fetch for the model client. */
  fetch?: typeof fetch;
}

export async function createBotRuntime(config: Config, options: BotRuntimeOptions): Promise<BotRuntime> {
  const { logger } = options;
  prepareDataDir(config.dataDir, logger);
  const store = await openStore(config, logger.child({ component: "store" }));
  const replicaId = randomUUID();
  try {
    const sandbox = await openSandbox(config, {
      scope: options.scope,
      // Replicas share the engine's containers of the scope; each knows its pooled ones by id.
      ...(config.postgres
        ? {
            replicas: {
              id: replicaId,
              alive: async () =>
                new Set((await store.listReplicas(REPLICA_ALIVE_WITHIN_MS)).map((replica) => replica.id)),
            },
          }
        : {}),
      logger: logger.child({ component: "sandbox" }),
      ...(options.onBuildProgress ? { onBuildProgress: options.onBuildProgress } : {}),
      ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
    });
    // The image's library census, read now so the first request's system prompt does not wait for it.
    void sandbox.libraries();
    const apiKey = config.model.apiKey;
    const model = apiKey
      ? createChatModel({
          config: { ...config.model, apiKey },
          logger: logger.child({ component: "model" }),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        })
      : null;
    if (!model) logger.warn("OPENAI_API_KEY is not set: only ```python blocks and commands will work");
    // Made last, so a failure above leaves no policy-file watcher behind.
    const access = createAccessGate(config.access, { logger: logger.child({ component: "access" }) });
    // Filled by main.ts once it has made the adapters, for the admins' `status`.
    const platforms: string[] = [];
    const bot = new Bot({
      store,
      sandbox,
      model,
      agent: config.agent,
      modelSeesImages: config.model.supportsImages,
      followThreads: config.followThreads,
      sharedStore: config.postgres !== null,
      replicaId,
      usage: config.usage,
      access,
      status: {
        version: botVersion(),
        startedAt: Date.now(),
        platforms: () => platforms,
        database: describeDatabase(config),
        sandbox: () => {
          const { admission } = sandbox;
          return {
            live: admission.liveCount,
            pooled: admission.pool.readyCount,
            running: admission.runningCount,
            waiting: admission.waitingCount,
            maxLive: config.sandbox.maxLive,
            maxRunning: config.sandbox.maxRunning,
          };
        },
      },
      logger: logger.child({ component: "bot" }),
    });
    return {
      bot,
      store,
      sandbox,
      model,
      platforms,
      async close() {
        await bot.stop();
        access.close();
        await sandbox.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
