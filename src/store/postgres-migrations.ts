/**
 * Schema history of the PostgreSQL store: the same tables and ids as SQLite's (migrations.ts),
 * in PostgreSQL's types. Times are epoch milliseconds in BIGINT, as in SQLite, so both stores
 * hand the same numbers to callers. Append-only, like SQLite's: a released migration is never
 * edited; a schema change is a new id in both files.
 */
import type pg from "pg";
import { checkMigrationHistory, type Migration } from "./migrations.ts";

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    sql: `
      CREATE TABLE conversations (
        key TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE messages (
        conversation_key TEXT NOT NULL REFERENCES conversations(key) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        role TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (conversation_key, seq)
      );
      CREATE TABLE sandbox_sessions (
        conversation_key TEXT PRIMARY KEY,
        container_name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT NOT NULL
      );
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        seen_at BIGINT NOT NULL
      );
      CREATE INDEX deliveries_seen_at ON deliveries(seen_at);
    `,
  },
  {
    id: 2,
    // arrival breaks ties between requests started in the same millisecond, as SQLite's rowid does.
    sql: `
      CREATE TABLE request_usage (
        id TEXT PRIMARY KEY,
        arrival BIGSERIAL NOT NULL,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT,
        conversation_key TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT,
        outcome TEXT,
        model TEXT,
        model_calls BIGINT NOT NULL DEFAULT 0,
        input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        code_runs BIGINT NOT NULL DEFAULT 0,
        sandbox_ms BIGINT NOT NULL DEFAULT 0,
        files_in BIGINT NOT NULL DEFAULT 0,
        files_in_bytes BIGINT NOT NULL DEFAULT 0,
        files_out BIGINT NOT NULL DEFAULT 0,
        files_out_bytes BIGINT NOT NULL DEFAULT 0
      );
      CREATE INDEX request_usage_started_at ON request_usage(started_at);
      CREATE INDEX request_usage_user ON request_usage(platform, user_id, started_at);
    `,
  },
  {
    id: 3,
    sql: `
      CREATE TABLE open_requests (
        id TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        reply_address TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        started_at BIGINT
      );
    `,
  },
  {
    id: 4,
    sql: `
      CREATE TABLE replicas (
        id TEXT PRIMARY KEY,
        started_at BIGINT NOT NULL,
        heartbeat_at BIGINT NOT NULL
      );
      ALTER TABLE open_requests ADD COLUMN owner TEXT;
      CREATE INDEX open_requests_conversation ON open_requests(conversation_key, received_at);
      CREATE TABLE conversation_turns (
        conversation_key TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        taken_at BIGINT NOT NULL
      );
    `,
  },
];

/**
 * Any fixed number: every replica that opens the database takes this transaction-level lock
 * first, so two starting at once apply each migration once, in order, and the second waits.
 */
const MIGRATION_LOCK = 0x6369_6230;

/** Brings the schema up to date in one transaction and returns the ids it applied. */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
  now: () => number = Date.now,
): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
    );
    const { rows } = await client.query<{ id: number }>("SELECT id FROM schema_migrations ORDER BY id");
    checkMigrationHistory(
      rows.map((row) => row.id),
      migrations,
      "run that release on every replica, or point DATABASE_URL at another database.",
    );
    const applied = new Set(rows.map((row) => row.id));
    const ran: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)", [
        migration.id,
        now(),
      ]);
      ran.push(migration.id);
    }
    await client.query("COMMIT");
    return ran;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
