/**
 * Conversations and messages as rows, whatever database holds them. A message body is JSON in
 * a TEXT column, outside what either database checks, so it is validated field by field on
 * the way out and an unreadable one is reported as such rather than trusted.
 */
import type { Logger } from "../logger.ts";
import type { ConversationMessage, ConversationRecord, StoredMessage } from "./types.ts";

export type MessageRow = { seq: number; created_at: number; role: string; body: string };
export type ConversationRow = {
  key: string;
  platform: string;
  created_at: number;
  updated_at: number;
  count: number;
};

export function toConversation(row: ConversationRow): ConversationRecord {
  return {
    key: row.key,
    platform: row.platform,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.count,
  };
}

/** The rows that read as messages; one bad row must not take the conversation (or the bot) down. */
export function toStoredMessages(
  rows: MessageRow[],
  conversationKey: string,
  logger: Logger,
): StoredMessage[] {
  const stored: StoredMessage[] = [];
  for (const row of rows) {
    const message = parseMessage(row.body, row.role);
    if (message) {
      stored.push({ seq: row.seq, createdAt: row.created_at, message });
    } else {
      logger.warn({ conversation: conversationKey, seq: row.seq }, "skipping unreadable stored message");
    }
  }
  return stored;
}

/** Keys look like `slack:T1:C2:ts` or `cli:name`; a key without a prefix is its own platform. */
export function platformOf(key: string): string {
  const colon = key.indexOf(":");
  return colon === -1 ? key : key.slice(0, colon);
}

/** Validates a stored body field by field: the database is outside the type system. */
export function parseMessage(body: string, role: string): ConversationMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || !("role" in value) || value.role !== role) return null;
  const record = value as Record<string, unknown>;
  const optionalString = (field: unknown) => field === undefined || typeof field === "string";
  switch (record.role) {
    case "user":
      return typeof record.content === "string" && optionalString(record.author)
        ? (value as ConversationMessage)
        : null;
    case "assistant": {
      const contentOk = record.content === null || typeof record.content === "string";
      const callsOk =
        record.toolCalls === undefined ||
        (Array.isArray(record.toolCalls) && record.toolCalls.every(isToolCall));
      return contentOk && callsOk ? (value as ConversationMessage) : null;
    }
    case "tool":
      return typeof record.toolCallId === "string" && typeof record.content === "string"
        ? (value as ConversationMessage)
        : null;
    default:
      return null;
  }
}

function isToolCall(call: unknown): boolean {
  if (typeof call !== "object" || call === null) return false;
  const { id, name, arguments: args } = call as Record<string, unknown>;
  return typeof id === "string" && typeof name === "string" && typeof args === "string";
}
