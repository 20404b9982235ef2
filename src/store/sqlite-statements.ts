/**
 * All SQL the SQLite store runs, beside the schema in migrations.ts that it depends on.
 * Rows come back typed as the schema declares them; message bodies are still validated
 * by the store, because JSON in a TEXT column is outside what SQLite checks.
 */
import type Database from "better-sqlite3";
import { type ConversationRow, type MessageRow, platformOf } from "./message-rows.ts";
import type { ConversationMessage } from "./types.ts";

export type SessionRow = {
  conversation_key: string;
  container_name: string;
  created_at: number;
  last_used_at: number;
};

export type Statements = ReturnType<typeof prepareStatements>;

/** Every statement is prepared once, at open, so a typo in SQL fails start-up rather than a chat. */
export function prepareStatements(db: Database.Database) {
  const conversationColumns = `key, platform, created_at, updated_at,
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_key = c.key) AS count`;
  const sql = {
    upsertConversation: db.prepare<[string, string, number, number]>(
      `INSERT INTO conversations (key, platform, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at`,
    ),
    maxSeq: db.prepare<[string], { max: number }>(
      "SELECT COALESCE(MAX(seq), 0) AS max FROM messages WHERE conversation_key = ?",
    ),
    insertMessage: db.prepare<[string, number, number, string, string]>(
      "INSERT INTO messages (conversation_key, seq, created_at, role, body) VALUES (?, ?, ?, ?, ?)",
    ),
    allMessages: db.prepare<[string], MessageRow>(
      "SELECT seq, created_at, role, body FROM messages WHERE conversation_key = ? ORDER BY seq",
    ),
    newestMessages: db.prepare<[string, number], MessageRow>(
      "SELECT seq, created_at, role, body FROM messages WHERE conversation_key = ? ORDER BY seq DESC LIMIT ?",
    ),
    deleteMessages: db.prepare<[string]>("DELETE FROM messages WHERE conversation_key = ?"),
    touchConversation: db.prepare<[number, string]>("UPDATE conversations SET updated_at = ? WHERE key = ?"),
    conversation: db.prepare<[string], ConversationRow>(
      `SELECT ${conversationColumns} FROM conversations c WHERE key = ?`,
    ),
    conversations: db.prepare<{ platform: string | null; limit: number }, ConversationRow>(
      `SELECT ${conversationColumns} FROM conversations c WHERE @platform IS NULL OR platform = @platform
       ORDER BY updated_at DESC, key LIMIT @limit`,
    ),
    upsertSession: db.prepare<[string, string, number, number]>(
      `INSERT INTO sandbox_sessions (conversation_key, container_name, created_at, last_used_at)
       VALUES (?, ?, ?, ?) ON CONFLICT (conversation_key) DO UPDATE SET container_name = excluded.container_name,
       last_used_at = excluded.last_used_at`,
    ),
    session: db.prepare<[string], SessionRow>("SELECT * FROM sandbox_sessions WHERE conversation_key = ?"),
    deleteSession: db.prepare<[string]>("DELETE FROM sandbox_sessions WHERE conversation_key = ?"),
    // An expired id is re-claimed by the upsert itself, so the TTL holds exactly however rarely we prune.
    claimDelivery: db.prepare<[string, number, number]>(
      `INSERT INTO deliveries (id, seen_at) VALUES (?, ?)
       ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at WHERE deliveries.seen_at < ?`,
    ),
    pruneDeliveries: db.prepare<[number]>("DELETE FROM deliveries WHERE seen_at < ?"),
    // Readiness writes one row it owns (see SqliteStore.ping) instead of needing a table of its own.
    pingWrite: db.prepare<[string, number]>(
      `INSERT INTO deliveries (id, seen_at) VALUES (?, ?)
       ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`,
    ),
    pingRead: db.prepare<[string], { seen_at: number }>("SELECT seen_at FROM deliveries WHERE id = ?"),
  };
  const append = db.transaction((key: string, messages: ConversationMessage[], now: number) => {
    sql.upsertConversation.run(key, platformOf(key), now, now);
    let seq = sql.maxSeq.get(key)?.max ?? 0;
    for (const message of messages) {
      seq += 1;
      sql.insertMessage.run(key, seq, now, message.role, JSON.stringify(message));
    }
  });
  const clear = db.transaction((key: string, now: number) => {
    sql.deleteMessages.run(key);
    sql.touchConversation.run(now, key);
  });
  return { ...sql, append, clear };
}
