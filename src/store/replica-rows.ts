/** A replica (bot process) as a row, whatever database holds it. */
import type { ReplicaRecord } from "./types.ts";

export type ReplicaRow = { id: string; started_at: number; heartbeat_at: number };

export function toReplica(row: ReplicaRow): ReplicaRecord {
  return { id: row.id, startedAt: row.started_at, heartbeatAt: row.heartbeat_at };
}
