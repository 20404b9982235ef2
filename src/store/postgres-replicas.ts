/**
 * The SQL behind replicas in PostgreSQL (schema in postgres-migrations.ts, migration 4), where
 * several bot processes share the database. Each statement settles its own race:
 * - claimOrphans is one UPDATE: a second replica running it at once waits for the first's row
 *   locks, then finds the rows owned by a live replica and leaves them;
 * - takeTurn is one upsert after the order check: of two replicas taking a free turn at once, one
 *   inserts and the other finds it held by a live replica.
 */

import type { OpenRequestRow } from "./open-request-rows.ts";
import type { PostgresQuery as Query } from "./postgres-query.ts";
import { type ReplicaRow, toReplica } from "./replica-rows.ts";
import type { ConversationTurn, ReplicaRecord } from "./types.ts";

const LIVE = (alive: string) => `SELECT id FROM replicas WHERE heartbeat_at >= ${alive}`;

export async function forgetOtherReplicas(query: Query, id: string): Promise<void> {
  await query("DELETE FROM replicas WHERE id <> $1", [id]);
}

export async function heartbeat(query: Query, id: string, now: number): Promise<void> {
  await query(
    `INSERT INTO replicas (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
     ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at`,
    [id, now],
  );
}

export async function removeReplica(query: Query, id: string): Promise<void> {
  await query("DELETE FROM replicas WHERE id = $1", [id]);
}

export async function liveReplicas(query: Query, alive: number): Promise<ReplicaRecord[]> {
  const rows = await query<ReplicaRow>(
    "SELECT * FROM replicas WHERE heartbeat_at >= $1 ORDER BY started_at, id",
    [alive],
  );
  return rows.map(toReplica);
}

export async function claimOrphans(query: Query, id: string, alive: number): Promise<OpenRequestRow[]> {
  return query<OpenRequestRow>(
    `UPDATE open_requests SET owner = $1
     WHERE (owner IS NULL OR owner NOT IN (${LIVE("$2")})) AND owner IS DISTINCT FROM $1
     RETURNING *`,
    [id, alive],
  );
}

export async function takeTurn(
  query: Query,
  turn: ConversationTurn,
  now: number,
  alive: number,
): Promise<boolean> {
  const taken = await query(
    `WITH older AS (
       SELECT 1 FROM open_requests WHERE conversation_key = $1 AND owner <> $3
       AND owner IN (${LIVE("$5")}) AND (received_at, id) < ($6, $2) LIMIT 1
     )
     INSERT INTO conversation_turns (conversation_key, request_id, owner, taken_at)
     SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM older)
     ON CONFLICT (conversation_key) DO UPDATE SET request_id = EXCLUDED.request_id,
     owner = EXCLUDED.owner, taken_at = EXCLUDED.taken_at
     WHERE conversation_turns.owner = EXCLUDED.owner OR conversation_turns.owner NOT IN (${LIVE("$5")})
     RETURNING request_id`,
    [turn.conversationKey, turn.requestId, turn.replicaId, now, alive, turn.receivedAt],
  );
  return taken.length === 1;
}

export async function releaseTurn(query: Query, conversationKey: string, requestId: string): Promise<void> {
  await query("DELETE FROM conversation_turns WHERE conversation_key = $1 AND request_id = $2", [
    conversationKey,
    requestId,
  ]);
}
