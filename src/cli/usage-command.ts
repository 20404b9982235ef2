/**
 * `code-interpreter-bot usage`: what the bot was used for, from the database alone. It needs
 * no Docker and no chat platform, and can run beside the bot (SQLite's WAL lets it read; with
 * DATABASE_URL it reads what every replica recorded).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { openStore } from "../store/open-store.ts";
import { buildUsageReport, REPORT_GROUPINGS, type ReportGrouping } from "../usage/usage-report.ts";
import type { CliIo } from "./exec-command.ts";
import { UsageError } from "./usage-error.ts";
import { usageJson, usageTable } from "./usage-output.ts";
import { parseSince } from "./usage-since.ts";

export async function usageCommand(
  args: string[],
  config: Pick<Config, "databasePath" | "postgres" | "usage">,
  io: CliIo,
  logger: Logger,
  now: number = Date.now(),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      since: { type: "string", default: "7d" },
      by: { type: "string", default: "user" },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0)
    throw new UsageError(`usage takes no arguments, got '${positionals.join(" ")}'`);
  const by = values.by;
  if (!isGrouping(by)) throw new UsageError(`--by ${by}: use ${REPORT_GROUPINGS.join(", ")}`);
  const since = parseSince(values.since, now);
  // Opening would create an empty SQLite file; a wrong DATA_DIR deserves to be named instead.
  if (!config.postgres && !existsSync(config.databasePath)) {
    io.stderr.write(
      `No database at ${config.databasePath}: the bot has recorded nothing there yet. Check DATA_DIR (and DATABASE_PATH).\n`,
    );
    return 1;
  }
  const store = await openStore(config, logger);
  try {
    const records = await store.listRequestUsage({ since, until: now + 1 });
    const report = buildUsageReport(records, { since, by, prices: config.usage.prices });
    io.stdout.write(values.json ? usageJson(report) : usageTable(report, values.since));
    return 0;
  } finally {
    await store.close();
  }
}

function isGrouping(value: string): value is ReportGrouping {
  return (REPORT_GROUPINGS as readonly string[]).includes(value);
}
