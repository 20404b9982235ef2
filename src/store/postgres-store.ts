/**
 * The Store on PostgreSQL, for several replicas sharing one database (DATABASE_URL). It keeps
 * SQLite's contract exactly (the same store test suite runs against both); what differs is how
 * each guarantee is kept when other processes write at the same time:
 * - appendMessages upserts the conversation row first, which locks it until commit, so two
 *   replicas appending to one conversation take turns and never reuse a seq;
 * - claimDelivery is one upsert: of two replicas claiming an id at once, exactly one row count is 1;
 * - ping writes a row of its own per store, so replicas never read each other's value.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { FatalError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import {
  type ConversationRow,
  type MessageRow,
  platformOf,
  toConversation,
  toStoredMessages,
} from "./message-rows.ts";
import {
  type OpenRequestRow,
  openRequestParams,
  toOpenRequest,
  toOpenRequestsOldestFirst,
} from "./open-request-rows.ts";
import { describeDatabaseUrl, toPostgresStoreError } from "./postgres-errors.ts";
import { migratePostgres } from "./postgres-migrations.ts";
import * as replicas from "./postgres-replicas.ts";
import * as usage from "./postgres-usage.ts";
import type {
  ConversationMessage,
  ConversationRecord,
  ConversationTurn,
  OpenRequest,
  ReplicaRecord,
  RequestUsageEnd,
  RequestUsageRecord,
  RequestUsageStart,
  SandboxSessionRecord,
  Store,
  StoredMessage,
  UsageFilter,
  UsageTotals,
} from "./types.ts";

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database, with libpq's query options (sslmode, ...). */
  url: string;
  logger: Logger;
  now?: () => number;
  /** Connections this replica may hold at once. */
  maxConnections?: number;
}

const PRUNE_INTERVAL_MS = 60_000;
const DEFAULT_CONVERSATION_LIMIT = 100;
const DEFAULT_MAX_CONNECTIONS = 10;
/** A server that does not answer within this long is reported, rather than waited on forever. */
const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 30_000;
const INT8_OID = 20;
const CONVERSATION_COLUMNS = `key, platform, created_at, updated_at,
  (SELECT COUNT(*) FROM messages m WHERE m.conversation_key = c.key) AS count`;

/** Epoch milliseconds and counts are BIGINT, which pg returns as strings; every one fits a double. */
function integerTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, Number);
  return types;
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const where = describeDatabaseUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: "code-interpreter-bot",
    types: integerTypes(),
  });
  // An idle connection the server drops emits 'error' on the pool; unheard, it would end the process.
  pool.on("error", (error) => {
    options.logger.warn(
      { database: where, err: error },
      "a PostgreSQL connection closed; the pool opens a new one",
    );
  });
  try {
    const applied = await migratePostgres(pool, undefined, options.now);
    if (applied.length > 0) options.logger.info({ database: where, applied }, "database schema migrated");
    return new PostgresStore(pool, options);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof FatalError) throw error;
    const reason = toPostgresStoreError(error, "open the database", where);
    throw new FatalError(
      "store-open-failed",
      `${reason.message.replace(/\.$/, "")}. DATABASE_URL selects PostgreSQL; unset it to use SQLite in DATA_DIR.`,
      error,
    );
  }
}

export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #where: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Real delivery ids are `platform:id`; no colon here, so this row can never be taken for one. */
  readonly #pingId = `readiness-ping-${randomUUID()}`;
  #closed = false;
  #lastPruneAt = Number.NEGATIVE_INFINITY;

  /** Use openPostgresStore, which migrates the database first. */
  constructor(pool: pg.Pool, options: PostgresStoreOptions) {
    this.#pool = pool;
    this.#where = describeDatabaseUrl(options.url);
    this.#logger = options.logger.child({ component: "store" });
    this.#now = options.now ?? Date.now;
  }

  async appendMessages(conversationKey: string, messages: ConversationMessage[]): Promise<void> {
    const now = this.#now();
    await this.#transaction("append messages", async (client) => {
      await client.query(
        `INSERT INTO conversations (key, platform, created_at, updated_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (key) DO UPDATE SET updated_at = EXCLUDED.updated_at`,
        [conversationKey, platformOf(conversationKey), now],
      );
      const { rows } = await client.query<{ max: number }>(
        "SELECT COALESCE(MAX(seq), 0) AS max FROM messages WHERE conversation_key = $1",
        [conversationKey],
      );
      const first = (rows[0]?.max ?? 0) + 1;
      if (messages.length === 0) return;
      await client.query(
        `INSERT INTO messages (conversation_key, seq, created_at, role, body)
         SELECT $1, $2 + ordinality - 1, $3, role, body FROM unnest($4::TEXT[], $5::TEXT[]) WITH ORDINALITY AS m(role, body)`,
        [
          conversationKey,
          first,
          now,
          messages.map((message) => message.role),
          messages.map((message) => JSON.stringify(message)),
        ],
      );
    });
  }

  async listMessages(conversationKey: string, options: { limit?: number } = {}): Promise<StoredMessage[]> {
    const { limit } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RangeError(`listMessages limit must be a non-negative integer, got ${limit}`);
    }
    const columns = "SELECT seq, created_at, role, body FROM messages WHERE conversation_key = $1";
    const rows =
      limit === undefined
        ? await this.#rows<MessageRow>("list messages", `${columns} ORDER BY seq`, [conversationKey])
        : (
            await this.#rows<MessageRow>("list messages", `${columns} ORDER BY seq DESC LIMIT $2`, [
              conversationKey,
              limit,
            ])
          ).reverse();
    return toStoredMessages(rows, conversationKey, this.#logger);
  }

  async clearMessages(conversationKey: string): Promise<void> {
    const now = this.#now();
    await this.#transaction("clear messages", async (client) => {
      await client.query("DELETE FROM messages WHERE conversation_key = $1", [conversationKey]);
      await client.query("UPDATE conversations SET updated_at = $1 WHERE key = $2", [now, conversationKey]);
    });
  }

  async getConversation(conversationKey: string): Promise<ConversationRecord | null> {
    const [row] = await this.#rows<ConversationRow>(
      "read a conversation",
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE key = $1`,
      [conversationKey],
    );
    return row ? toConversation(row) : null;
  }

  async listConversations(
    options: { platform?: string; limit?: number } = {},
  ): Promise<ConversationRecord[]> {
    const rows = await this.#rows<ConversationRow>(
      "list conversations",
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE $1::TEXT IS NULL OR platform = $1
       ORDER BY updated_at DESC, key LIMIT $2`,
      [options.platform ?? null, options.limit ?? DEFAULT_CONVERSATION_LIMIT],
    );
    return rows.map(toConversation);
  }

  async recordSandboxSession(record: SandboxSessionRecord): Promise<void> {
    const { conversationKey, containerName, createdAt, lastUsedAt } = record;
    await this.#rows(
      "record a sandbox session",
      `INSERT INTO sandbox_sessions (conversation_key, container_name, created_at, last_used_at)
       VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_key) DO UPDATE SET
       container_name = EXCLUDED.container_name, last_used_at = EXCLUDED.last_used_at`,
      [conversationKey, containerName, createdAt, lastUsedAt],
    );
  }

  async getSandboxSession(conversationKey: string): Promise<SandboxSessionRecord | null> {
    const [row] = await this.#rows<{
      conversation_key: string;
      container_name: string;
      created_at: number;
      last_used_at: number;
    }>("read a sandbox session", "SELECT * FROM sandbox_sessions WHERE conversation_key = $1", [
      conversationKey,
    ]);
    if (!row) return null;
    return {
      conversationKey: row.conversation_key,
      containerName: row.container_name,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    };
  }

  async removeSandboxSession(conversationKey: string): Promise<void> {
    await this.#rows("remove a sandbox session", "DELETE FROM sandbox_sessions WHERE conversation_key = $1", [
      conversationKey,
    ]);
  }

  async claimDelivery(deliveryId: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    if (now - this.#lastPruneAt >= PRUNE_INTERVAL_MS) {
      this.#lastPruneAt = now;
      await this.#rows("forget old deliveries", "DELETE FROM deliveries WHERE seen_at < $1", [now - ttlMs]);
    }
    // An expired id is re-claimed by the upsert itself, so the TTL holds exactly however rarely we prune.
    const claimed = await this.#rows(
      "claim a delivery",
      `INSERT INTO deliveries (id, seen_at) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET seen_at = EXCLUDED.seen_at WHERE deliveries.seen_at < $3 RETURNING id`,
      [deliveryId, now, now - ttlMs],
    );
    return claimed.length === 1;
  }

  async startRequestUsage(start: RequestUsageStart): Promise<void> {
    await usage.start(this.#query("record a request's start"), start);
  }

  async finishRequestUsage(id: string, end: RequestUsageEnd): Promise<void> {
    await usage.finish(this.#query("record a request's usage"), id, end);
  }

  async listRequestUsage(filter: UsageFilter): Promise<RequestUsageRecord[]> {
    return usage.list(this.#query("read usage"), filter);
  }

  async sumUsage(filter: UsageFilter): Promise<UsageTotals> {
    return usage.sum(this.#query("sum usage"), filter);
  }

  async openRequest(request: OpenRequest): Promise<void> {
    // A delivery claimed once cannot open twice, but a replayed id must not fail the request.
    await this.#rows(
      "record an open request",
      `INSERT INTO open_requests (id, platform, conversation_key, reply_address, received_at, started_at, owner)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET platform = EXCLUDED.platform,
       conversation_key = EXCLUDED.conversation_key, reply_address = EXCLUDED.reply_address,
       received_at = EXCLUDED.received_at, started_at = EXCLUDED.started_at, owner = EXCLUDED.owner`,
      openRequestParams(request),
    );
  }

  async startOpenRequest(id: string, startedAt: number): Promise<void> {
    await this.#rows("record a request's start", "UPDATE open_requests SET started_at = $1 WHERE id = $2", [
      startedAt,
      id,
    ]);
  }

  async closeOpenRequest(id: string): Promise<void> {
    await this.#rows("close an open request", "DELETE FROM open_requests WHERE id = $1", [id]);
  }

  async listOpenRequests(): Promise<OpenRequest[]> {
    const rows = await this.#rows<OpenRequestRow>(
      "list open requests",
      "SELECT * FROM open_requests ORDER BY received_at, id",
      [],
    );
    return rows.map(toOpenRequest);
  }

  async registerReplica(id: string, options: { exclusive: boolean }): Promise<void> {
    const query = this.#query("register this bot process");
    if (options.exclusive) await replicas.forgetOtherReplicas(query, id);
    await replicas.heartbeat(query, id, this.#now());
  }

  async heartbeatReplica(id: string): Promise<void> {
    await replicas.heartbeat(this.#query("record that this bot process is alive"), id, this.#now());
  }

  async removeReplica(id: string): Promise<void> {
    await replicas.removeReplica(this.#query("unregister this bot process"), id);
  }

  async listReplicas(aliveWithinMs: number): Promise<ReplicaRecord[]> {
    return replicas.liveReplicas(this.#query("list the bot's processes"), this.#now() - aliveWithinMs);
  }

  async claimOrphanedRequests(replicaId: string, aliveWithinMs: number): Promise<OpenRequest[]> {
    const query = this.#query("take over requests left open");
    const rows = await replicas.claimOrphans(query, replicaId, this.#now() - aliveWithinMs);
    return toOpenRequestsOldestFirst(rows);
  }

  async takeConversationTurn(turn: ConversationTurn, aliveWithinMs: number): Promise<boolean> {
    const now = this.#now();
    return replicas.takeTurn(this.#query("take a conversation's turn"), turn, now, now - aliveWithinMs);
  }

  async releaseConversationTurn(conversationKey: string, requestId: string): Promise<void> {
    await replicas.releaseTurn(this.#query("release a conversation's turn"), conversationKey, requestId);
  }

  async ping(): Promise<void> {
    const now = this.#now();
    const [row] = await this.#rows<{ seen_at: number }>(
      "check the database",
      `INSERT INTO deliveries (id, seen_at) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET seen_at = EXCLUDED.seen_at RETURNING seen_at`,
      [this.#pingId, now],
    );
    if (row?.seen_at !== now) {
      throw new FatalError(
        "store-unusable",
        `The database at ${this.#where} did not return what was just written to it.`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  /** #rows for one operation, in the shape the statement modules take. */
  #query(operation: string) {
    return <Row extends pg.QueryResultRow>(text: string, values: readonly unknown[]) =>
      this.#rows<Row>(operation, text, values);
  }

  async #rows<Row extends pg.QueryResultRow>(
    operation: string,
    text: string,
    values: readonly unknown[],
  ): Promise<Row[]> {
    this.#assertOpen(operation);
    try {
      return (await this.#pool.query<Row>(text, [...values])).rows;
    } catch (error) {
      throw toPostgresStoreError(error, operation, this.#where);
    }
  }

  async #transaction(operation: string, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    this.#assertOpen(operation);
    let client: pg.PoolClient | undefined;
    let failure: Error | undefined;
    try {
      client = await this.#pool.connect();
      await client.query("BEGIN");
      await work(client);
      await client.query("COMMIT");
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client?.query("ROLLBACK").catch(() => undefined);
      throw toPostgresStoreError(error, operation, this.#where);
    } finally {
      // A connection that failed mid-transaction may be in any state: the pool drops it, not reuses it.
      client?.release(failure);
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed) {
      throw new FatalError("store-closed", `Cannot ${operation}: the store at ${this.#where} is closed.`);
    }
  }
}
