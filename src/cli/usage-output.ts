/** How `usage` prints its report: an aligned table for people, or one JSON object for tools. */
import { humanSize } from "../files/human-size.ts";
import type { UsageTotals } from "../store/types.ts";
import type { ReportRow, UsageReport } from "../usage/usage-report.ts";
import { formatCount } from "../usage/usage-text.ts";

const FIRST_COLUMN = { user: "USER", conversation: "CONVERSATION", day: "DAY (UTC)" } as const;
const NUMBER_COLUMNS = [
  "REQUESTS",
  "MODEL CALLS",
  "TOKENS IN",
  "TOKENS OUT",
  "CODE RUNS",
  "SANDBOX S",
  "FILES IN",
  "FILES OUT",
  "COST (USD)",
];

function utcMinute(time: number): string {
  return `${new Date(time).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function cost(value: number | null): string {
  if (value === null) return "?";
  if (value > 0 && value < 0.005) return "<$0.01";
  return `$${value.toFixed(2)}`;
}

function files(count: number, bytes: number): string {
  return count === 0 ? "0" : `${formatCount(count)} (${humanSize(bytes)})`;
}

function cells(label: string, row: UsageTotals & { costUsd: number | null }): string[] {
  return [
    label,
    formatCount(row.requests),
    formatCount(row.modelCalls),
    formatCount(row.inputTokens),
    formatCount(row.outputTokens),
    formatCount(row.codeRuns),
    (row.sandboxMs / 1000).toFixed(1),
    files(row.filesIn, row.filesInBytes),
    files(row.filesOut, row.filesOutBytes),
    cost(row.costUsd),
  ];
}

function label(row: ReportRow): string {
  return row.name && row.name !== row.key.slice(row.key.indexOf(":") + 1)
    ? `${row.name} (${row.key})`
    : row.key;
}

/** The report as a table: one row per group, then a TOTAL line, then what the figures leave out. */
export function usageTable(report: UsageReport, sinceText: string): string {
  const heading = `Usage since ${utcMinute(report.since)} (${sinceText}), by ${report.by}`;
  if (report.rows.length === 0) return `${heading}\n\nNo requests recorded in that time.\n`;
  const table = [
    [FIRST_COLUMN[report.by], ...NUMBER_COLUMNS],
    ...report.rows.map((row) => cells(label(row), row)),
    cells("TOTAL", report.totals),
  ];
  const widths =
    table[0]?.map((_, column) => Math.max(...table.map((line) => line[column]?.length ?? 0))) ?? [];
  const lines = table.map((line) =>
    line
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd(),
  );
  const notes: string[] = [];
  if (report.prices) {
    const { inputPerMillion, outputPerMillion } = report.prices;
    notes.push(`Cost estimated at $${inputPerMillion} per million tokens in and $${outputPerMillion} out.`);
  } else {
    notes.push(
      "Cost unknown: set PRICE_INPUT_PER_MILLION and PRICE_OUTPUT_PER_MILLION (US dollars per million tokens) to estimate it.",
    );
  }
  if (report.unfinished > 0) {
    notes.push(
      report.unfinished === 1
        ? "1 request has no end recorded (still running, or the bot stopped during it): it counts as a request, but what it used is not known."
        : `${formatCount(report.unfinished)} requests have no end recorded (still running, or the bot stopped during them): ` +
            "they count as requests, but what they used is not known.",
    );
  }
  return `${heading}\n\n${lines.join("\n")}\n\n${notes.join("\n")}\n`;
}

/** The report for tools: times as ISO strings, sandbox time in milliseconds as recorded. */
export function usageJson(report: UsageReport): string {
  const { since, ...rest } = report;
  return `${JSON.stringify({ since: new Date(since).toISOString(), ...rest }, null, 2)}\n`;
}
