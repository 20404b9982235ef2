import { describe, expect, it } from "vitest";
import { usageJson, usageTable } from "../../src/cli/usage-output.ts";
import type { RequestUsageRecord } from "../../src/store/types.ts";
import { zeroCounters } from "../../src/usage/totals.ts";
import { buildUsageReport, estimateCost } from "../../src/usage/usage-report.ts";

const SINCE = Date.UTC(2025, 2, 7, 13, 28);
const PRICES = { inputPerMillion: 2.5, outputPerMillion: 10 };

function record(overrides: Partial<RequestUsageRecord>): RequestUsageRecord {
  return {
    id: `r-${Math.random()}`,
    platform: "slack",
    userId: "U1",
    userName: null,
    conversationKey: "slack:T:C:1",
    startedAt: Date.UTC(2025, 2, 13, 10),
    finishedAt: Date.UTC(2025, 2, 13, 10, 1),
    outcome: "done",
    model: "gpt-4o",
    ...zeroCounters(),
    ...overrides,
  };
}

const RECORDS = [
  record({
    userName: "ada",
    modelCalls: 2,
    inputTokens: 1_000,
    outputTokens: 200,
    codeRuns: 1,
    sandboxMs: 1_500,
  }),
  record({
    userId: "U2",
    userName: "Bob",
    conversationKey: "slack:T:C:2",
    startedAt: Date.UTC(2025, 2, 14, 9),
    modelCalls: 5,
    inputTokens: 40_000,
    outputTokens: 3_000,
    filesIn: 1,
    filesInBytes: 2_048,
  }),
  record({
    userName: "Ada Lovelace",
    conversationKey: "slack:T:C:3",
    startedAt: Date.UTC(2025, 2, 14, 11),
    codeRuns: 2,
    sandboxMs: 12_000,
    filesOut: 3,
    filesOutBytes: 3 * 1024 * 1024,
  }),
  record({
    platform: "discord",
    userId: "U1",
    conversationKey: "discord:G:C:9",
    outcome: null,
    finishedAt: null,
  }),
];

describe("buildUsageReport", () => {
  it("groups by person, the biggest token users first, with the newest name and totals", () => {
    const report = buildUsageReport(RECORDS, { since: SINCE, by: "user", prices: PRICES });
    expect(
      report.rows.map((row) => [row.key, row.name, row.requests, row.inputTokens + row.outputTokens]),
    ).toEqual([
      ["slack:U2", "Bob", 1, 43_000],
      ["slack:U1", "Ada Lovelace", 2, 1_200],
      // The same id on another platform is another person.
      ["discord:U1", null, 1, 0],
    ]);
    expect(report.totals).toEqual({
      requests: 4,
      modelCalls: 7,
      inputTokens: 41_000,
      outputTokens: 3_200,
      codeRuns: 3,
      sandboxMs: 13_500,
      filesIn: 1,
      filesInBytes: 2_048,
      filesOut: 3,
      filesOutBytes: 3 * 1024 * 1024,
      costUsd: (41_000 * 2.5 + 3_200 * 10) / 1e6,
    });
    expect(report.unfinished).toBe(1);
  });

  it("groups by conversation and by UTC day, days in order", () => {
    const byConversation = buildUsageReport(RECORDS, { since: SINCE, by: "conversation", prices: null });
    expect(byConversation.rows.map((row) => row.key).sort()).toEqual([
      "discord:G:C:9",
      "slack:T:C:1",
      "slack:T:C:2",
      "slack:T:C:3",
    ]);
    expect(byConversation.rows.every((row) => row.costUsd === null)).toBe(true);
    const byDay = buildUsageReport(RECORDS, { since: SINCE, by: "day", prices: PRICES });
    expect(byDay.rows.map((row) => [row.key, row.requests])).toEqual([
      ["2025-03-13", 2],
      ["2025-03-14", 2],
    ]);
  });

  it("prices tokens in and out separately, and knows nothing without prices", () => {
    expect(estimateCost({ inputTokens: 1_000_000, outputTokens: 500_000 }, PRICES)).toBe(7.5);
    expect(estimateCost({ inputTokens: 1_000_000, outputTokens: 0 }, null)).toBeNull();
  });
});

describe("the printed report", () => {
  it("is an aligned table with a TOTAL line and says how cost was estimated", () => {
    const report = buildUsageReport(RECORDS.slice(0, 3), { since: SINCE, by: "user", prices: PRICES });
    expect(usageTable(report, "7d")).toBe(
      [
        "Usage since 2025-03-07 13:28 UTC (7d), by user",
        "",
        "USER                     REQUESTS  MODEL CALLS  TOKENS IN  TOKENS OUT  CODE RUNS  SANDBOX S    FILES IN   FILES OUT  COST (USD)",
        "Bob (slack:U2)                  1            5     40,000       3,000          0        0.0  1 (2.0 KB)           0       $0.13",
        "Ada Lovelace (slack:U1)         2            2      1,000         200          3       13.5           0  3 (3.0 MB)      <$0.01",
        "TOTAL                           3            7     41,000       3,200          3       13.5  1 (2.0 KB)  3 (3.0 MB)       $0.13",
        "",
        "Cost estimated at $2.5 per million tokens in and $10 out.",
        "",
      ].join("\n"),
    );
  });

  it("says when the cost is unknown, when requests have no end, and when there is nothing", () => {
    const text = usageTable(buildUsageReport(RECORDS, { since: SINCE, by: "day", prices: null }), "7d");
    expect(text).toContain("Cost unknown: set PRICE_INPUT_PER_MILLION and PRICE_OUTPUT_PER_MILLION");
    expect(text).toContain("1 request has no end recorded (still running, or the bot stopped during it)");
    expect(usageTable(buildUsageReport([], { since: SINCE, by: "user", prices: null }), "7d")).toBe(
      "Usage since 2025-03-07 13:28 UTC (7d), by user\n\nNo requests recorded in that time.\n",
    );
  });

  it("prints JSON with rows, totals and an ISO start", () => {
    const parsed = JSON.parse(
      usageJson(buildUsageReport(RECORDS, { since: SINCE, by: "user", prices: null })),
    );
    expect(parsed.since).toBe("2025-03-07T13:28:00.000Z");
    expect(parsed.by).toBe("user");
    expect(parsed.rows).toHaveLength(3);
    expect(parsed.totals.requests).toBe(4);
    expect(parsed.totals.costUsd).toBeNull();
    expect(parsed.unfinished).toBe(1);
  });
});
