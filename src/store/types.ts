/**
 * What the bot remembers, independent of the database behind it. Messages are kept in the
 * shape the model sees them (user, assistant with tool calls, tool results), so a
 * conversation continues after a restart exactly where it stopped.
 */
export interface ToolCallRecord {
  id: string;
  name: string;
  /** The raw JSON text the model sent; it may be malformed, which is itself worth keeping. */
  arguments: string;
}

export type ConversationMessage =
  | { role: "user"; content: string; author?: string }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCallRecord[] }
  | { role: "tool"; toolCallId: string; content: string };

export interface StoredMessage {
  /** Increasing per conversation; the order the model sees. */
  seq: number;
  createdAt: number;
  message: ConversationMessage;
}

export interface ConversationRecord {
  key: string;
  platform: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

export interface SandboxSessionRecord {
  conversationKey: string;
  /** The name of the sandbox container serving this conversation. */
  containerName: string;
  createdAt: number;
  lastUsedAt: number;
}

/** What one request used; every figure starts at 0 and only grows while it runs. */
export interface UsageCounters {
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Direct runs and the model's tool calls alike. */
  codeRuns: number;
  /** The code runs' own durations summed, as the sandbox measured them. */
  sandboxMs: number;
  /** Attachments copied into /mnt/data. */
  filesIn: number;
  filesInBytes: number;
  /** Images, files and table CSVs sent back. */
  filesOut: number;
  filesOutBytes: number;
}

export interface UsageTotals extends UsageCounters {
  requests: number;
}

/** How a recorded request ended; a row without one is still running, or the bot stopped during it. */
export type UsageOutcome = "done" | "failed" | "cancelled";

export interface RequestUsageStart {
  /** Unique per request (not the delivery id, which may be claimed again after its TTL). */
  id: string;
  platform: string;
  userId: string;
  userName: string | null;
  conversationKey: string;
  startedAt: number;
}

export interface RequestUsageEnd extends UsageCounters {
  finishedAt: number;
  outcome: UsageOutcome;
  /** The model the request talked to; null when it made no model call. */
  model: string | null;
}

export interface RequestUsageRecord extends RequestUsageStart, UsageCounters {
  finishedAt: number | null;
  outcome: UsageOutcome | null;
  model: string | null;
}

/** Requests started in [since, until); `userId` needs `platform`, since ids are per platform. */
export interface UsageFilter {
  since: number;
  until?: number;
  platform?: string;
  userId?: string;
}

/**
 * Where an adapter can reach a request's thread again, in its own terms (a channel and a
 * message id, say): opaque to the core and the store, kept as JSON.
 */
export type ReplyAddress = Readonly<Record<string, string | null>>;

/**
 * A request the bot has taken on and not yet answered in full. The row exists from arrival to
 * the last reply, so one left behind by a killed process names a request to answer after a restart.
 */
export interface OpenRequest {
  id: string;
  platform: string;
  conversationKey: string;
  replyAddress: ReplyAddress;
  receivedAt: number;
  /** When it left the conversation's queue and began; null while it waited its turn. */
  startedAt: number | null;
  /** The bot process (replica) that took it on; null in rows written before replicas. */
  owner: string | null;
}

/**
 * A request asking for its conversation's turn: across replicas, one request of a conversation
 * runs at a time, in the order they arrived (`receivedAt`, then `requestId`).
 */
export interface ConversationTurn {
  conversationKey: string;
  requestId: string;
  replicaId: string;
  receivedAt: number;
}

/** A bot process that shares the store, as its heartbeats show it. */
export interface ReplicaRecord {
  id: string;
  startedAt: number;
  heartbeatAt: number;
}

export interface Store {
  /** Creates the conversation if needed and appends messages after the last one, atomically. */
  appendMessages(conversationKey: string, messages: ConversationMessage[]): Promise<void>;
  /** Oldest first. With `limit`, only the newest `limit` messages (still oldest first). */
  listMessages(conversationKey: string, options?: { limit?: number }): Promise<StoredMessage[]>;
  /** Forgets a conversation's history (a user's `reset`); the conversation itself stays. */
  clearMessages(conversationKey: string): Promise<void>;
  getConversation(conversationKey: string): Promise<ConversationRecord | null>;
  listConversations(options?: { platform?: string; limit?: number }): Promise<ConversationRecord[]>;
  /** Creates or refreshes the record; a known conversation keeps its first `createdAt`. */
  recordSandboxSession(record: SandboxSessionRecord): Promise<void>;
  getSandboxSession(conversationKey: string): Promise<SandboxSessionRecord | null>;
  removeSandboxSession(conversationKey: string): Promise<void>;
  /**
   * Remembers a platform delivery id; true the first time, false for a repeat, so a retried
   * delivery runs once even across a restart. Ids older than `ttlMs` may be forgotten.
   */
  claimDelivery(deliveryId: string, ttlMs: number): Promise<boolean>;
  /**
   * Records a request as it starts, with every figure at 0, so it counts against limits while
   * it runs and a crash leaves a row that says it never finished.
   */
  startRequestUsage(start: RequestUsageStart): Promise<void>;
  /** Completes the row `startRequestUsage` wrote; an unknown id is ignored. */
  finishRequestUsage(id: string, end: RequestUsageEnd): Promise<void>;
  /** Oldest first. */
  listRequestUsage(filter: UsageFilter): Promise<RequestUsageRecord[]>;
  /** The same rows summed, without reading them all (the team's daily budget). */
  sumUsage(filter: UsageFilter): Promise<UsageTotals>;
  /** Records a request as taken on; see OpenRequest. */
  openRequest(request: OpenRequest): Promise<void>;
  /** Notes that an open request left its queue and began. */
  startOpenRequest(id: string, startedAt: number): Promise<void>;
  /** Forgets an open request: it was answered, or its restart notice was. */
  closeOpenRequest(id: string): Promise<void>;
  /** Oldest first. */
  listOpenRequests(): Promise<OpenRequest[]>;
  /**
   * Announces a bot process. `exclusive` (SQLite: one process per DATA_DIR) forgets every other
   * replica, so what an earlier, killed process left is orphaned at once.
   */
  registerReplica(id: string, options: { exclusive: boolean }): Promise<void>;
  /** Says the replica is alive; one silent for longer than another's `aliveWithinMs` is taken for dead. */
  heartbeatReplica(id: string): Promise<void>;
  /** A replica that stops cleanly leaves at once, so the others take over what it left. */
  removeReplica(id: string): Promise<void>;
  /** The replicas heard from within `aliveWithinMs`, oldest first. */
  listReplicas(aliveWithinMs: number): Promise<ReplicaRecord[]>;
  /**
   * Takes over the open requests of replicas that are gone (no heartbeat within `aliveWithinMs`),
   * and returns them: each is handed to exactly one live replica, which answers it.
   */
  claimOrphanedRequests(replicaId: string, aliveWithinMs: number): Promise<OpenRequest[]>;
  /**
   * True when the turn is this request's: no live replica holds the conversation, and none has
   * an older request of it still open. The turn is released, or lapses with its replica.
   */
  takeConversationTurn(turn: ConversationTurn, aliveWithinMs: number): Promise<boolean>;
  releaseConversationTurn(conversationKey: string, requestId: string): Promise<void>;
  /** Writes and reads back a little, for readiness checks; throws when the store cannot take writes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
