/** The SQL behind request usage in PostgreSQL (migration 2 in postgres-migrations.ts). */
import type { PostgresQuery as Query } from "./postgres-query.ts";
import type {
  RequestUsageEnd,
  RequestUsageRecord,
  RequestUsageStart,
  UsageFilter,
  UsageTotals,
} from "./types.ts";
import {
  endParams,
  filterParams,
  type SumRow,
  startParams,
  toTotals,
  toUsageRecord,
  USAGE_COUNTERS,
  USAGE_SUMS,
  type UsageRow,
} from "./usage-rows.ts";

const WHERE = `started_at >= $1 AND ($2::BIGINT IS NULL OR started_at < $2)
  AND ($3::TEXT IS NULL OR platform = $3) AND ($4::TEXT IS NULL OR user_id = $4)`;

export async function start(query: Query, request: RequestUsageStart): Promise<void> {
  await query(
    `INSERT INTO request_usage (id, platform, user_id, user_name, conversation_key, started_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    startParams(request),
  );
}

export async function finish(query: Query, id: string, end: RequestUsageEnd): Promise<void> {
  const params = endParams(id, end);
  const counters = USAGE_COUNTERS.map((column, index) => `${column} = $${index + 5}`).join(", ");
  await query(
    `UPDATE request_usage SET finished_at = $2, outcome = $3, model = $4, ${counters} WHERE id = $1`,
    [
      params.id,
      params.finished_at,
      params.outcome,
      params.model,
      ...USAGE_COUNTERS.map((column) => params[column]),
    ],
  );
}

/** Oldest first; `arrival` keeps requests that started in the same millisecond in arrival order. */
export async function list(query: Query, filter: UsageFilter): Promise<RequestUsageRecord[]> {
  const rows = await query<UsageRow>(
    `SELECT * FROM request_usage WHERE ${WHERE} ORDER BY started_at, arrival`,
    filterValues(filter),
  );
  return rows.map(toUsageRecord);
}

export async function sum(query: Query, filter: UsageFilter): Promise<UsageTotals> {
  const [row] = await query<SumRow>(
    `SELECT ${USAGE_SUMS} FROM request_usage WHERE ${WHERE}`,
    filterValues(filter),
  );
  return toTotals(row);
}

function filterValues(filter: UsageFilter): unknown[] {
  const params = filterParams(filter);
  return [params.since, params.until, params.platform, params.user_id];
}
