/**
 * The Store on a local SQLite file. better-sqlite3 is synchronous; the methods are async only
 * to honour the Store interface, so a server database can replace this one without changing
 * callers. WAL lets another process (the CLI) read the file while the bot writes to it.
 */
import Database from "better-sqlite3";
import { asBotError, type BotError, errorMessage, FatalError, RetryableError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { toConversation, toStoredMessages } from "./message-rows.ts";
import { migrate } from "./migrations.ts";
import { openRequestParams, toOpenRequest, toOpenRequestsOldestFirst } from "./open-request-rows.ts";
import { preparePrivateDatabase } from "./private-files.ts";
import { toReplica } from "./replica-rows.ts";
import { type OpenRequestStatements, prepareOpenRequestStatements } from "./sqlite-open-requests.ts";
import { prepareReplicaStatements, type ReplicaStatements } from "./sqlite-replicas.ts";
import { prepareStatements, type Statements } from "./sqlite-statements.ts";
import { prepareUsageStatements, type UsageStatements } from "./sqlite-usage.ts";
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
import { endParams, filterParams, startParams, toTotals, toUsageRecord } from "./usage-rows.ts";

export interface SqliteStoreOptions {
  /** A file path, or ":memory:" for a database that lives as long as the store. */
  path: string;
  logger: Logger;
  now?: () => number;
}

/** Pruning expired delivery ids is housekeeping, not correctness (see claimDelivery), so do it rarely. */
const PRUNE_INTERVAL_MS = 60_000;
const DEFAULT_CONVERSATION_LIMIT = 100;
/**
 * The row ping() writes. Real delivery ids are `platform:id`, so an id without a colon can
 * never be mistaken for one; it is refreshed by every ping and pruned like any old delivery.
 */
const PING_ID = "readiness-ping";
/** SQLite primary result codes that no retry fixes: the file, the disk or permissions need an admin. */
const NEEDS_ADMIN = new Set([
  "SQLITE_READONLY",
  "SQLITE_FULL",
  "SQLITE_IOERR",
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
  "SQLITE_CANTOPEN",
]);

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const inMemory = options.path === ":memory:";
  let db: Database.Database | undefined;
  try {
    // Conversations and usage are the bot user's alone: 0600 whatever the umask (private-files.ts).
    if (!inMemory) preparePrivateDatabase(options.path);
    db = new Database(options.path);
    // WAL keeps readers and the writer from blocking each other; it needs a real file.
    if (!inMemory && db.pragma("journal_mode = WAL", { simple: true }) !== "wal") {
      options.logger.warn({ path: options.path }, "SQLite refused WAL mode; using its default journal");
    }
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    // NORMAL with WAL can lose the last commits on power loss, never corrupt the file: fine for chat history.
    db.pragma("synchronous = NORMAL");
    const applied = migrate(db, undefined, options.now);
    if (applied.length > 0) options.logger.info({ path: options.path, applied }, "database schema migrated");
    return new SqliteStore(db, options);
  } catch (error) {
    db?.close();
    if (error instanceof FatalError) throw error;
    throw new FatalError(
      "store-open-failed",
      `Cannot open the database at ${options.path}: ${errorMessage(error)}. Check DATA_DIR (and DATABASE_PATH): ` +
        "the directory must be writable by the bot and the file, if present, must be a SQLite database.",
      error,
    );
  }
}

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #usage: UsageStatements;
  readonly #open: OpenRequestStatements;
  readonly #replicas: ReplicaStatements;
  readonly #path: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  #closed = false;
  #lastPruneAt = Number.NEGATIVE_INFINITY;

  /** Use openSqliteStore, which configures and migrates the database first. */
  constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#usage = prepareUsageStatements(db);
    this.#open = prepareOpenRequestStatements(db);
    this.#replicas = prepareReplicaStatements(db);
    this.#path = options.path;
    this.#logger = options.logger.child({ component: "store" });
    this.#now = options.now ?? Date.now;
  }

  async appendMessages(conversationKey: string, messages: ConversationMessage[]): Promise<void> {
    // IMMEDIATE takes the write lock before reading MAX(seq), so another process cannot slip
    // in between and make us reuse a seq.
    this.#use("append messages", () => this.#sql.append.immediate(conversationKey, messages, this.#now()));
  }

  async listMessages(conversationKey: string, options: { limit?: number } = {}): Promise<StoredMessage[]> {
    const { limit } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RangeError(`listMessages limit must be a non-negative integer, got ${limit}`);
    }
    const rows = this.#use("list messages", () =>
      limit === undefined
        ? this.#sql.allMessages.all(conversationKey)
        : this.#sql.newestMessages.all(conversationKey, limit).reverse(),
    );
    return toStoredMessages(rows, conversationKey, this.#logger);
  }

  async clearMessages(conversationKey: string): Promise<void> {
    this.#use("clear messages", () => this.#sql.clear(conversationKey, this.#now()));
  }

  async getConversation(conversationKey: string): Promise<ConversationRecord | null> {
    const row = this.#use("read a conversation", () => this.#sql.conversation.get(conversationKey));
    return row ? toConversation(row) : null;
  }

  async listConversations(
    options: { platform?: string; limit?: number } = {},
  ): Promise<ConversationRecord[]> {
    const params = { platform: options.platform ?? null, limit: options.limit ?? DEFAULT_CONVERSATION_LIMIT };
    return this.#use("list conversations", () => this.#sql.conversations.all(params)).map(toConversation);
  }

  async recordSandboxSession(record: SandboxSessionRecord): Promise<void> {
    const { conversationKey, containerName, createdAt, lastUsedAt } = record;
    this.#use("record a sandbox session", () =>
      this.#sql.upsertSession.run(conversationKey, containerName, createdAt, lastUsedAt),
    );
  }

  async getSandboxSession(conversationKey: string): Promise<SandboxSessionRecord | null> {
    const row = this.#use("read a sandbox session", () => this.#sql.session.get(conversationKey));
    if (!row) return null;
    return {
      conversationKey: row.conversation_key,
      containerName: row.container_name,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    };
  }

  async removeSandboxSession(conversationKey: string): Promise<void> {
    this.#use("remove a sandbox session", () => this.#sql.deleteSession.run(conversationKey));
  }

  async claimDelivery(deliveryId: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    return this.#use("claim a delivery", () => {
      if (now - this.#lastPruneAt >= PRUNE_INTERVAL_MS) {
        this.#sql.pruneDeliveries.run(now - ttlMs);
        this.#lastPruneAt = now;
      }
      return this.#sql.claimDelivery.run(deliveryId, now, now - ttlMs).changes === 1;
    });
  }

  async startRequestUsage(start: RequestUsageStart): Promise<void> {
    this.#use("record a request's start", () => this.#usage.start.run(...startParams(start)));
  }

  async finishRequestUsage(id: string, end: RequestUsageEnd): Promise<void> {
    this.#use("record a request's usage", () => this.#usage.finish.run(endParams(id, end)));
  }

  async listRequestUsage(filter: UsageFilter): Promise<RequestUsageRecord[]> {
    const params = filterParams(filter);
    return this.#use("read usage", () => this.#usage.list.all(params)).map(toUsageRecord);
  }

  async sumUsage(filter: UsageFilter): Promise<UsageTotals> {
    const params = filterParams(filter);
    return toTotals(this.#use("sum usage", () => this.#usage.sum.get(params)));
  }

  async openRequest(request: OpenRequest): Promise<void> {
    this.#use("record an open request", () => this.#open.open.run(...openRequestParams(request)));
  }

  async startOpenRequest(id: string, startedAt: number): Promise<void> {
    this.#use("record a request's start", () => this.#open.start.run(startedAt, id));
  }

  async closeOpenRequest(id: string): Promise<void> {
    this.#use("close an open request", () => this.#open.close.run(id));
  }

  async listOpenRequests(): Promise<OpenRequest[]> {
    return this.#use("list open requests", () => this.#open.list.all()).map(toOpenRequest);
  }

  async registerReplica(id: string, options: { exclusive: boolean }): Promise<void> {
    const now = this.#now();
    this.#use("register this bot process", () => {
      if (options.exclusive) this.#replicas.forgetOthers.run({ id });
      this.#replicas.heartbeat.run({ id, now });
    });
  }

  async heartbeatReplica(id: string): Promise<void> {
    const now = this.#now();
    this.#use("record that this bot process is alive", () => this.#replicas.heartbeat.run({ id, now }));
  }

  async removeReplica(id: string): Promise<void> {
    this.#use("unregister this bot process", () => this.#replicas.remove.run({ id }));
  }

  async listReplicas(aliveWithinMs: number): Promise<ReplicaRecord[]> {
    const alive = this.#now() - aliveWithinMs;
    return this.#use("list the bot's processes", () => this.#replicas.live.all({ alive })).map(toReplica);
  }

  async claimOrphanedRequests(replicaId: string, aliveWithinMs: number): Promise<OpenRequest[]> {
    const alive = this.#now() - aliveWithinMs;
    return toOpenRequestsOldestFirst(
      this.#use("take over requests left open", () =>
        this.#replicas.claimOrphans.all({ id: replicaId, alive }),
      ),
    );
  }

  async takeConversationTurn(turn: ConversationTurn, aliveWithinMs: number): Promise<boolean> {
    const now = this.#now();
    return this.#use("take a conversation's turn", () =>
      this.#replicas.takeTurn.immediate(turn, now, now - aliveWithinMs),
    );
  }

  async releaseConversationTurn(conversationKey: string, requestId: string): Promise<void> {
    this.#use("release a conversation's turn", () =>
      this.#replicas.release.run({ key: conversationKey, request: requestId }),
    );
  }

  async ping(): Promise<void> {
    // A committed write, not a rolled-back one: a full disk or a read-only file only shows on commit.
    const now = this.#now();
    const read = this.#use("check the database", () => {
      this.#sql.pingWrite.run(PING_ID, now);
      return this.#sql.pingRead.get(PING_ID);
    });
    if (read?.seen_at !== now) {
      throw new FatalError(
        "store-unusable",
        `The database at ${this.#path} did not return what was just written to it. Check DATA_DIR.`,
      );
    }
  }

  async close(): Promise<void> {
    // Idempotent: shutdown paths may close twice, and that should not mask the real error.
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** Runs one database operation, turning SQLite's errors into ours at the boundary. */
  #use<T>(operation: string, fn: () => T): T {
    if (this.#closed) {
      throw new FatalError("store-closed", `Cannot ${operation}: the store at ${this.#path} is closed.`);
    }
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, operation, this.#path);
    }
  }
}

/** Busy means another writer held the lock past busy_timeout; the rest need an admin. */
function toStoreError(error: unknown, operation: string, dbPath: string): BotError {
  if (!(error instanceof Database.SqliteError)) return asBotError(error, "store");
  const primary = error.code.split("_").slice(0, 2).join("_");
  if (primary === "SQLITE_BUSY" || primary === "SQLITE_LOCKED") {
    return new RetryableError(
      "store-busy",
      `Cannot ${operation}: the database is busy (${error.message}).`,
      error,
    );
  }
  if (NEEDS_ADMIN.has(primary)) {
    return new FatalError(
      "store-unusable",
      `Cannot ${operation}: the database at ${dbPath} is unusable (${error.message}). ` +
        "Check DATA_DIR: free disk space, write permission, and that the file is not damaged.",
      error,
    );
  }
  return asBotError(error, "store");
}
