/**
 * Composition root of the bot: config → logger → store, sandbox, model, core → chat adapters.
 * `npm start` runs this. It builds the sandbox image when it is missing, cleans up containers
 * an earlier run left stopped, and on SIGINT/SIGTERM finishes gracefully, leaving live
 * sandboxes running so the next start adopts them with their state.
 */

import { IdleSandboxReaper } from "./bot/idle-sandboxes.ts";
import { answerInterruptedRequests } from "./bot/interrupted-requests.ts";
import { ReplicaPresence } from "./bot/replica-presence.ts";
import { ConfigError, loadDotEnv } from "./config.ts";
import { BotError } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { sandboxCountsOf } from "./ops/metrics.ts";
import { type RunningOps, startOps } from "./ops/start-ops.ts";
import { createAdapters, loadBotConfig } from "./platforms.ts";
import { createBotRuntime } from "./runtime.ts";
import { createDocker } from "./sandbox/open-sandbox.ts";
import { describeDatabase } from "./store/database-config.ts";
import { botVersion } from "./version.ts";

async function main(): Promise<number> {
  let loaded: ReturnType<typeof loadBotConfig>;
  try {
    loadDotEnv();
    loaded = loadBotConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nSee .env.example for every setting.\n`);
    return error instanceof ConfigError ? 78 : 1;
  }
  const { config, platforms } = loaded;
  const logger = createLogger({ level: config.logLevel });
  try {
    const runtime = await createBotRuntime(config, {
      scope: config.sandbox.scope,
      logger,
      onBuildProgress: (line) => logger.info({ line }, "building the sandbox image (first start only)"),
    });
    await runtime.sandbox.removeStopped();
    await runtime.sandbox.pruneKept();
    runtime.sandbox.startReaper();
    await runtime.sandbox.startPool();
    const adapters = createAdapters(platforms, config, logger);
    runtime.platforms.push(...adapters.map((adapter) => adapter.platform));
    if (adapters.length === 0) {
      logger.error(
        "no chat platform is configured and WEB_ENABLED=false turns the web chat off: set SLACK_BOT_TOKEN and " +
          "SLACK_APP_TOKEN, or DISCORD_TOKEN, or remove WEB_ENABLED (see the README). " +
          "The sandbox and model also work from the terminal: npx code-interpreter-bot ask 'plot a sine wave'",
      );
      await runtime.close();
      return 78;
    }
    // Before the adapters, so /healthz answers and /readyz says which platform is still connecting.
    let ops: RunningOps | null = null;
    if (config.ops) {
      try {
        ops = await startOps({
          config: config.ops,
          bot: runtime.bot,
          store: runtime.store,
          docker: createDocker(config),
          dockerHosts: runtime.sandbox.hosts,
          kubernetes: config.kubernetes ? runtime.sandbox.runtime : null,
          sandboxImage: runtime.sandbox.runtime.image,
          sandboxCounts: sandboxCountsOf(runtime.sandbox.admission),
          admission: runtime.sandbox.admission,
          model: runtime.model,
          adapters,
          logger: logger.child({ component: "ops" }),
        });
      } catch (error) {
        await runtime.close();
        throw error;
      }
    }
    const botLogger = logger.child({ component: "bot" });
    const presence = new ReplicaPresence({
      store: runtime.store,
      id: runtime.bot.replicaId,
      exclusive: config.postgres === null,
      logger: botLogger,
    });
    const interrupted = await presence.join();
    try {
      for (const adapter of adapters) await adapter.start(runtime.bot);
    } catch (error) {
      // A listening ops server would keep the process alive after the failure is reported.
      await ops?.close();
      throw error;
    }
    logger.info(
      {
        platforms: adapters.map((a) => a.platform),
        version: botVersion(),
        database: describeDatabase(config),
      },
      "bot running",
    );
    // Connected first, so every request the last process left unanswered can be answered in its thread.
    const answer = { store: runtime.store, adapters, logger: botLogger };
    await answerInterruptedRequests(interrupted, answer);
    // And, with replicas, what one that dies leaves, whichever replica notices first.
    presence.watch((orphans) => answerInterruptedRequests(orphans, answer));
    // Replicas hand every sandbox over after each request: the idle timeout is kept across them.
    const idleReaper = config.postgres
      ? new IdleSandboxReaper({ bot: runtime.bot, sandbox: runtime.sandbox, logger: botLogger })
      : null;
    idleReaper?.start();
    // The web chat's address is for a person to open: it goes to stdout, apart from the JSON logs.
    for (const adapter of adapters) {
      if (adapter.url) process.stdout.write(`Web chat: ${adapter.url}\n`);
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    logger.info("stopping: requests in progress get 30 s to finish, then are cancelled");
    ops?.draining();
    await idleReaper?.stop();
    await runtime.bot.stop(30_000);
    for (const adapter of adapters) await adapter.stop();
    await presence.leave();
    await runtime.close();
    await ops?.close();
    return 0;
  } catch (error) {
    if (error instanceof BotError) {
      // Written for the admin, with what to do: a stack trace would bury it.
      logger.fatal({ code: error.code }, error.message);
    } else {
      logger.fatal({ err: error }, (error as Error).stack ?? "start-up failed");
    }
    return 1;
  }
}

process.exitCode = await main();
