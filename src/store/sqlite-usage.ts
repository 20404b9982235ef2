/**
 * The SQL behind request usage in SQLite (schema in migrations.ts, migration 2); usage-rows.ts
 * turns its rows into records.
 */
import type Database from "better-sqlite3";
import { type EndParams, type FilterParams, type SumRow, USAGE_SUMS, type UsageRow } from "./usage-rows.ts";

const WHERE = `started_at >= @since AND (@until IS NULL OR started_at < @until)
  AND (@platform IS NULL OR platform = @platform) AND (@user_id IS NULL OR user_id = @user_id)`;

export type UsageStatements = ReturnType<typeof prepareUsageStatements>;

export function prepareUsageStatements(db: Database.Database) {
  return {
    start: db.prepare<[string, string, string, string | null, string, number]>(
      `INSERT INTO request_usage (id, platform, user_id, user_name, conversation_key, started_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    finish: db.prepare<EndParams>(
      `UPDATE request_usage SET finished_at = @finished_at, outcome = @outcome, model = @model,
       model_calls = @model_calls, input_tokens = @input_tokens, output_tokens = @output_tokens,
       code_runs = @code_runs, sandbox_ms = @sandbox_ms, files_in = @files_in,
       files_in_bytes = @files_in_bytes, files_out = @files_out, files_out_bytes = @files_out_bytes
       WHERE id = @id`,
    ),
    // rowid breaks ties: requests that start in the same millisecond stay in arrival order.
    list: db.prepare<FilterParams, UsageRow>(
      `SELECT * FROM request_usage WHERE ${WHERE} ORDER BY started_at, rowid`,
    ),
    sum: db.prepare<FilterParams, SumRow>(`SELECT ${USAGE_SUMS} FROM request_usage WHERE ${WHERE}`),
  };
}
