/**
 * The SQL behind replicas in SQLite (schema in migrations.ts, migration 4). SQLite holds one
 * bot process per DATA_DIR, so here a "replica" is mostly the process before a restart; the
 * same statements as PostgreSQL's keep one contract for both.
 */
import type Database from "better-sqlite3";
import type { OpenRequestRow } from "./open-request-rows.ts";
import type { ReplicaRow } from "./replica-rows.ts";
import type { ConversationTurn } from "./types.ts";

/** Replicas heard from since @alive. */
const LIVE = "SELECT id FROM replicas WHERE heartbeat_at >= @alive";

export type ReplicaStatements = ReturnType<typeof prepareReplicaStatements>;

export function prepareReplicaStatements(db: Database.Database) {
  const sql = {
    forgetOthers: db.prepare<{ id: string }>("DELETE FROM replicas WHERE id <> @id"),
    heartbeat: db.prepare<{ id: string; now: number }>(
      `INSERT INTO replicas (id, started_at, heartbeat_at) VALUES (@id, @now, @now)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
    ),
    remove: db.prepare<{ id: string }>("DELETE FROM replicas WHERE id = @id"),
    live: db.prepare<{ alive: number }, ReplicaRow>(
      "SELECT * FROM replicas WHERE heartbeat_at >= @alive ORDER BY started_at, id",
    ),
    claimOrphans: db.prepare<{ id: string; alive: number }, OpenRequestRow>(
      `UPDATE open_requests SET owner = @id
       WHERE (owner IS NULL OR owner NOT IN (${LIVE})) AND owner IS NOT @id RETURNING *`,
    ),
    olderElsewhere: db.prepare<
      { key: string; request: string; replica: string; received: number; alive: number },
      { id: string }
    >(
      `SELECT id FROM open_requests WHERE conversation_key = @key AND owner <> @replica
       AND owner IN (${LIVE}) AND (received_at < @received OR (received_at = @received AND id < @request))
       LIMIT 1`,
    ),
    // The turn is free, ours already, held by this replica for an earlier request (its local queue
    // lets one run at a time, so that one has ended), or held by a replica that is gone.
    take: db.prepare<{ key: string; request: string; replica: string; now: number; alive: number }>(
      `INSERT INTO conversation_turns (conversation_key, request_id, owner, taken_at)
       VALUES (@key, @request, @replica, @now)
       ON CONFLICT (conversation_key) DO UPDATE SET request_id = excluded.request_id,
       owner = excluded.owner, taken_at = excluded.taken_at
       WHERE conversation_turns.owner = excluded.owner OR conversation_turns.owner NOT IN (${LIVE})`,
    ),
    release: db.prepare<{ key: string; request: string }>(
      "DELETE FROM conversation_turns WHERE conversation_key = @key AND request_id = @request",
    ),
  };
  const takeTurn = db.transaction((turn: ConversationTurn, now: number, alive: number): boolean => {
    const params = {
      key: turn.conversationKey,
      request: turn.requestId,
      replica: turn.replicaId,
      received: turn.receivedAt,
      alive,
    };
    if (sql.olderElsewhere.get(params)) return false;
    const { received: _received, ...takeParams } = params;
    return sql.take.run({ ...takeParams, now }).changes === 1;
  });
  return { ...sql, takeTurn };
}
