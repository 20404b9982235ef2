/** Entry point of `code-interpreter-bot`: parses the subcommand and maps failures to exit codes. */
import { askCommand } from "./cli/ask-command.ts";
import { type CliIo, execCommand } from "./cli/exec-command.ts";
import { HELP } from "./cli/help.ts";
import { librariesCommand } from "./cli/libraries-command.ts";
import { closeCommand, sessionsCommand, suspendCommand } from "./cli/sessions-command.ts";
import { usageCommand } from "./cli/usage-command.ts";
import { UsageError } from "./cli/usage-error.ts";
import { loadConfig, loadDotEnv } from "./config.ts";
import { BotError } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { readPlatformSettings } from "./platforms.ts";
import { createBotRuntime } from "./runtime.ts";
import { openSandbox } from "./sandbox/open-sandbox.ts";

const CLI_SCOPE = "cli";

export async function runCli(
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [command, ...args] = argv;
  if (
    command === undefined ||
    command === "--help" ||
    command === "-h" ||
    command === "help" ||
    args.includes("--help")
  ) {
    io.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  try {
    if (!["exec", "sessions", "suspend", "close", "ask", "usage", "libraries"].includes(command)) {
      throw new UsageError(`unknown command '${command}'`);
    }
    if (env === process.env) loadDotEnv();
    const config = loadConfig({ LOG_LEVEL: "warn", ...env });
    // The admin's tools need no chat platform: incomplete platform settings are only a warning here.
    for (const problem of readPlatformSettings(env).problems) io.stderr.write(`warning: ${problem}\n`);
    const logger = createLogger({ level: config.logLevel });
    const onBuildProgress = (line: string) => io.stderr.write(`[sandbox image] ${line}\n`);
    if (command === "ask") {
      // One command, then the process ends: warm containers would only be started to be removed.
      const runtime = await createBotRuntime(config, {
        scope: CLI_SCOPE,
        logger,
        onBuildProgress,
        poolSize: 0,
      });
      try {
        return await askCommand(args, runtime, io);
      } finally {
        await runtime.close();
      }
    }
    // The report reads the database only: it must work while Docker is down.
    if (command === "usage") return await usageCommand(args, config, io, logger);
    const manager = await openSandbox(config, { scope: CLI_SCOPE, logger, onBuildProgress, poolSize: 0 });
    if (command === "exec") return await execCommand(args, manager, io);
    if (command === "libraries") return await librariesCommand(args, manager, io);
    if (command === "sessions") return await sessionsCommand(args, manager, io);
    if (command === "suspend") return await suspendCommand(args, manager, io);
    return await closeCommand(args, manager, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`error: ${(error as Error).message}\nRun 'code-interpreter-bot --help' for usage.\n`);
      return 2;
    }
    const message =
      error instanceof BotError ? error.message : `unexpected failure: ${(error as Error).stack ?? error}`;
    io.stderr.write(`error: ${message}\n`);
    return 3;
  }
}
