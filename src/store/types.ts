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
  /** Writes and reads back a little, for readiness checks; throws when the store cannot take writes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
