/**
 * The SQL behind open requests in SQLite (schema in migrations.ts, migration 3);
 * open-request-rows.ts turns its rows into requests.
 */
import type Database from "better-sqlite3";
import type { OpenRequestRow } from "./open-request-rows.ts";

export type OpenRequestStatements = ReturnType<typeof prepareOpenRequestStatements>;

export function prepareOpenRequestStatements(db: Database.Database) {
  return {
    // A delivery claimed once cannot open twice, but a replayed id must not fail the request.
    open: db.prepare<[string, string, string, string, number, number | null, string | null]>(
      `INSERT OR REPLACE INTO open_requests (id, platform, conversation_key, reply_address, received_at, started_at, owner)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    start: db.prepare<[number, string]>("UPDATE open_requests SET started_at = ? WHERE id = ?"),
    close: db.prepare<[string]>("DELETE FROM open_requests WHERE id = ?"),
    list: db.prepare<[], OpenRequestRow>("SELECT * FROM open_requests ORDER BY received_at, id"),
  };
}
