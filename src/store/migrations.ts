/**
 * Schema history of the SQLite store. Migrations are append-only: a released migration is
 * never edited, because databases in the field have already applied it; change the schema
 * by adding a migration with the next id.
 */
import type { Database } from "better-sqlite3";
import { FatalError } from "../errors.ts";

export interface Migration {
  /** Strictly increasing; recorded in `schema_migrations` once applied. */
  id: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    sql: `
      CREATE TABLE conversations (
        key TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE messages (
        conversation_key TEXT NOT NULL REFERENCES conversations(key) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        role TEXT NOT NULL,
        body TEXT NOT NULL, -- JSON of ConversationMessage
        PRIMARY KEY (conversation_key, seq)
      );
      CREATE TABLE sandbox_sessions (
        conversation_key TEXT PRIMARY KEY,
        container_name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL
      );
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        seen_at INTEGER NOT NULL
      );
      CREATE INDEX deliveries_seen_at ON deliveries(seen_at);
    `,
  },
  {
    id: 2,
    // One row per request, written when it starts: a NULL outcome means still running, or the
    // bot stopped during it. No foreign key: the conversation row appears only with its first message.
    sql: `
      CREATE TABLE request_usage (
        id TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT,
        conversation_key TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        outcome TEXT,
        model TEXT,
        model_calls INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        code_runs INTEGER NOT NULL DEFAULT 0,
        sandbox_ms INTEGER NOT NULL DEFAULT 0,
        files_in INTEGER NOT NULL DEFAULT 0,
        files_in_bytes INTEGER NOT NULL DEFAULT 0,
        files_out INTEGER NOT NULL DEFAULT 0,
        files_out_bytes INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX request_usage_started_at ON request_usage(started_at);
      CREATE INDEX request_usage_user ON request_usage(platform, user_id, started_at);
    `,
  },
  {
    id: 3,
    // Requests taken on and not yet answered: a row a killed process leaves behind is answered
    // in its thread at the next start. reply_address is the adapter's own JSON.
    sql: `
      CREATE TABLE open_requests (
        id TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        reply_address TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        started_at INTEGER
      );
    `,
  },
  {
    id: 4,
    // Replicas: each bot process says it is alive; an open request names the one that took it
    // on; a conversation's turn is held by one request at a time across them.
    sql: `
      CREATE TABLE replicas (
        id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      );
      ALTER TABLE open_requests ADD COLUMN owner TEXT;
      CREATE INDEX open_requests_conversation ON open_requests(conversation_key, received_at);
      CREATE TABLE conversation_turns (
        conversation_key TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        taken_at INTEGER NOT NULL
      );
    `,
  },
];

/**
 * Brings the schema up to date and returns the ids it applied (empty when already current).
 * Everything runs in one IMMEDIATE transaction: it takes the write lock before reading which
 * migrations exist, so two processes opening the same file cannot both apply one, and a
 * failing migration leaves the database exactly as it was.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
): number[] {
  const apply = db.transaction((): number[] => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    const appliedIds = db
      .prepare<[], { id: number }>("SELECT id FROM schema_migrations ORDER BY id")
      .all()
      .map((row) => row.id);
    checkMigrationHistory(
      appliedIds,
      migrations,
      "run that release, or point DATA_DIR at a different directory.",
    );
    const applied = new Set(appliedIds);
    const record = db.prepare<[number, number]>(
      "INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)",
    );
    const ran: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      db.exec(migration.sql);
      record.run(migration.id, now());
      ran.push(migration.id);
    }
    return ran;
  });
  return apply.immediate();
}

/**
 * Checks the list is in order, then refuses a database that a newer release migrated past what
 * this code knows: writing to a schema it does not understand could corrupt data that release
 * depends on, so it refuses rather than guesses. `remedy` says what the admin can do, in the
 * backend's own terms.
 */
export function checkMigrationHistory(
  appliedIds: readonly number[],
  migrations: readonly Migration[],
  remedy: string,
): void {
  assertOrdered(migrations);
  const known = new Set(migrations.map((migration) => migration.id));
  const unknown = appliedIds.filter((id) => !known.has(id));
  if (unknown.length === 0) return;
  throw new FatalError(
    "store-schema-newer",
    `The database has schema migration(s) ${unknown.join(", ")} that this version does not know ` +
      `(it knows up to ${Math.max(0, ...known)}). It was written by a newer release: ${remedy}`,
  );
}

/** A mis-ordered list is a programming error that would apply migrations out of order. */
function assertOrdered(migrations: readonly Migration[]): void {
  for (let index = 1; index < migrations.length; index += 1) {
    const previous = migrations[index - 1];
    const current = migrations[index];
    if (previous && current && current.id <= previous.id) {
      throw new Error(`Migration ids must increase: ${current.id} follows ${previous.id}`);
    }
  }
}
