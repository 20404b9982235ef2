/**
 * Request usage as rows, whatever database holds them: the parameters a store writes and the
 * checks on what it reads back (an outcome held as plain TEXT is read back as one we know, or
 * as none). Column names are the schema's (migration 2 in both stores).
 */
import type {
  RequestUsageEnd,
  RequestUsageRecord,
  RequestUsageStart,
  UsageFilter,
  UsageOutcome,
  UsageTotals,
} from "./types.ts";

/** The counter columns, in the order both stores write and sum them. */
export const USAGE_COUNTERS = [
  "model_calls",
  "input_tokens",
  "output_tokens",
  "code_runs",
  "sandbox_ms",
  "files_in",
  "files_in_bytes",
  "files_out",
  "files_out_bytes",
] as const;

/** The totals of the rows a WHERE picks; CAST keeps PostgreSQL's SUM an integer, as SQLite's is. */
export const USAGE_SUMS = `COUNT(*) AS requests, ${USAGE_COUNTERS.map(
  (column) => `CAST(COALESCE(SUM(${column}), 0) AS BIGINT) AS ${column}`,
).join(", ")}`;

export type CounterColumns = {
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  code_runs: number;
  sandbox_ms: number;
  files_in: number;
  files_in_bytes: number;
  files_out: number;
  files_out_bytes: number;
};

export type UsageRow = CounterColumns & {
  id: string;
  platform: string;
  user_id: string;
  user_name: string | null;
  conversation_key: string;
  started_at: number;
  finished_at: number | null;
  outcome: string | null;
  model: string | null;
};

export type SumRow = CounterColumns & { requests: number };

export type FilterParams = {
  since: number;
  until: number | null;
  platform: string | null;
  user_id: string | null;
};

export type EndParams = CounterColumns & {
  id: string;
  finished_at: number;
  outcome: string;
  model: string | null;
};

export function startParams(
  start: RequestUsageStart,
): [string, string, string, string | null, string, number] {
  return [start.id, start.platform, start.userId, start.userName, start.conversationKey, start.startedAt];
}

export function endParams(id: string, end: RequestUsageEnd): EndParams {
  return {
    id,
    finished_at: end.finishedAt,
    outcome: end.outcome,
    model: end.model,
    model_calls: end.modelCalls,
    input_tokens: end.inputTokens,
    output_tokens: end.outputTokens,
    code_runs: end.codeRuns,
    sandbox_ms: Math.round(end.sandboxMs),
    files_in: end.filesIn,
    files_in_bytes: end.filesInBytes,
    files_out: end.filesOut,
    files_out_bytes: end.filesOutBytes,
  };
}

export function filterParams(filter: UsageFilter): FilterParams {
  if (filter.userId !== undefined && filter.platform === undefined) {
    // A user id alone would mix people: ids are only unique within one platform.
    throw new RangeError("a usage filter by userId needs its platform too");
  }
  return {
    since: filter.since,
    until: filter.until ?? null,
    platform: filter.platform ?? null,
    user_id: filter.userId ?? null,
  };
}

const OUTCOMES: readonly string[] = ["done", "failed", "cancelled"] satisfies UsageOutcome[];

export function toUsageRecord(row: UsageRow): RequestUsageRecord {
  return {
    id: row.id,
    platform: row.platform,
    userId: row.user_id,
    userName: row.user_name,
    conversationKey: row.conversation_key,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome !== null && OUTCOMES.includes(row.outcome) ? (row.outcome as UsageOutcome) : null,
    model: row.model,
    ...toCounters(row),
  };
}

export function toTotals(row: SumRow | undefined): UsageTotals {
  if (!row) return { requests: 0, ...toCounters(null) };
  return { requests: row.requests, ...toCounters(row) };
}

function toCounters(row: CounterColumns | null): Omit<UsageTotals, "requests"> {
  return {
    modelCalls: row?.model_calls ?? 0,
    inputTokens: row?.input_tokens ?? 0,
    outputTokens: row?.output_tokens ?? 0,
    codeRuns: row?.code_runs ?? 0,
    sandboxMs: row?.sandbox_ms ?? 0,
    filesIn: row?.files_in ?? 0,
    filesInBytes: row?.files_in_bytes ?? 0,
    filesOut: row?.files_out ?? 0,
    filesOutBytes: row?.files_out_bytes ?? 0,
  };
}
