/**
 * The admin's usage report, from recorded requests: grouped by person, conversation or UTC
 * day, with totals and an estimated cost. Pure, so the CLI only reads the store and prints.
 */
import type { RequestUsageRecord, UsageTotals } from "../store/types.ts";
import { addRequest, zeroTotals } from "./totals.ts";
import type { UsagePrices } from "./usage-config.ts";

export const REPORT_GROUPINGS = ["user", "conversation", "day"] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

export interface ReportRow extends UsageTotals {
  /** `platform:userId`, the conversation key, or `YYYY-MM-DD` (UTC). */
  key: string;
  /** The person's latest known name, for `user`; null otherwise or when never known. */
  name: string | null;
  /** US dollars at the configured prices; null when no prices are set. */
  costUsd: number | null;
}

export interface UsageReport {
  since: number;
  by: ReportGrouping;
  prices: UsagePrices | null;
  rows: ReportRow[];
  totals: UsageTotals & { costUsd: number | null };
  /** Requests with no end recorded: still running, or the bot stopped during them. */
  unfinished: number;
}

export function estimateCost(
  totals: Pick<UsageTotals, "inputTokens" | "outputTokens">,
  prices: UsagePrices | null,
): number | null {
  if (!prices) return null;
  return (totals.inputTokens * prices.inputPerMillion + totals.outputTokens * prices.outputPerMillion) / 1e6;
}

function groupKey(record: RequestUsageRecord, by: ReportGrouping): string {
  switch (by) {
    case "user":
      return `${record.platform}:${record.userId}`;
    case "conversation":
      return record.conversationKey;
    case "day":
      return new Date(record.startedAt).toISOString().slice(0, 10);
  }
}

export function buildUsageReport(
  records: readonly RequestUsageRecord[],
  options: { since: number; by: ReportGrouping; prices: UsagePrices | null },
): UsageReport {
  const { by, prices } = options;
  const groups = new Map<string, { totals: UsageTotals; name: string | null }>();
  const totals = zeroTotals();
  let unfinished = 0;
  for (const record of records) {
    const key = groupKey(record, by);
    const group = groups.get(key) ?? { totals: zeroTotals(), name: null };
    addRequest(group.totals, record);
    // Records come oldest first, so the name kept is the newest one a platform gave.
    if (by === "user" && record.userName) group.name = record.userName;
    groups.set(key, group);
    addRequest(totals, record);
    if (record.outcome === null) unfinished += 1;
  }
  const rows: ReportRow[] = [...groups.entries()].map(([key, group]) => ({
    key,
    name: group.name,
    ...group.totals,
    costUsd: estimateCost(group.totals, prices),
  }));
  rows.sort(by === "day" ? (a, b) => a.key.localeCompare(b.key) : byTokensThenRequests);
  return {
    since: options.since,
    by,
    prices,
    rows,
    totals: { ...totals, costUsd: estimateCost(totals, prices) },
    unfinished,
  };
}

/** The biggest users of tokens first: that is where the cost is. */
function byTokensThenRequests(a: ReportRow, b: ReportRow): number {
  const tokens = b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens);
  return tokens || b.requests - a.requests || a.key.localeCompare(b.key);
}
