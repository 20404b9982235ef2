/**
 * Composition root of the bot: config → logger → store, sandbox, model, core → (adapters, in later issues).
 * `npm start` runs this. It builds the sandbox image when it is missing, cleans up
 * containers an earlier run left stopped, and stops gracefully on SIGINT/SIGTERM,
 * leaving live sandboxes running so the next start adopts them with their state.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { BotError } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createBotRuntime } from "./runtime.ts";

export const BOT_SCOPE = "bot";

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nSee .env.example for every setting.\n`);
    return error instanceof ConfigError ? 78 : 1;
  }
  const logger: Logger = createLogger({ level: config.logLevel });
  try {
    const runtime = await createBotRuntime(config, {
      scope: BOT_SCOPE,
      logger,
      onBuildProgress: (line) => logger.info({ line }, "building the sandbox image (first start only)"),
    });
    const { sandbox } = runtime;
    await sandbox.removeStopped();
    sandbox.startReaper();
    const running = (await sandbox.list()).filter((c) => c.running).length;
    logger.info(
      { running },
      "sandbox ready; running sessions from an earlier start are adopted on their next message",
    );
    // Chat platforms (Slack, Discord) plug in here as their adapters land.
    logger.warn(
      "no chat platform adapter is available in this version yet; the sandbox works from the command line: " +
        "npx code-interpreter-bot exec 'print(1)' or npx code-interpreter-bot ask 'plot a sine wave'",
    );
    await runtime.close();
    return 0;
  } catch (error) {
    const message = error instanceof BotError ? error.message : (error as Error).stack;
    logger.fatal({ err: error }, message ?? "start-up failed");
    return 1;
  }
}

process.exitCode = await main();
