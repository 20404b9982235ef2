/**
 * The SQL behind open requests (schema in migrations.ts, migration 3) and the check on what
 * comes back: a reply address is JSON in a TEXT column, so a row whose address is not an
 * object of strings is read as having none, and answered nowhere rather than anywhere.
 */
import type Database from "better-sqlite3";
import type { OpenRequest, ReplyAddress } from "./types.ts";

type OpenRequestRow = {
  id: string;
  platform: string;
  conversation_key: string;
  reply_address: string;
  received_at: number;
  started_at: number | null;
};

export type OpenRequestStatements = ReturnType<typeof prepareOpenRequestStatements>;

export function prepareOpenRequestStatements(db: Database.Database) {
  return {
    // A delivery claimed once cannot open twice, but a replayed id must not fail the request.
    open: db.prepare<[string, string, string, string, number, number | null]>(
      `INSERT OR REPLACE INTO open_requests (id, platform, conversation_key, reply_address, received_at, started_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    start: db.prepare<[number, string]>("UPDATE open_requests SET started_at = ? WHERE id = ?"),
    close: db.prepare<[string]>("DELETE FROM open_requests WHERE id = ?"),
    list: db.prepare<[], OpenRequestRow>("SELECT * FROM open_requests ORDER BY received_at, id"),
  };
}

export function openRequestParams(
  request: OpenRequest,
): [string, string, string, string, number, number | null] {
  const { id, platform, conversationKey, replyAddress, receivedAt, startedAt } = request;
  return [id, platform, conversationKey, JSON.stringify(replyAddress), receivedAt, startedAt];
}

export function toOpenRequest(row: OpenRequestRow): OpenRequest {
  return {
    id: row.id,
    platform: row.platform,
    conversationKey: row.conversation_key,
    replyAddress: parseAddress(row.reply_address),
    receivedAt: row.received_at,
    startedAt: row.started_at,
  };
}

function parseAddress(text: string): ReplyAddress {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const entries = Object.entries(value).filter(
    (entry): entry is [string, string | null] => typeof entry[1] === "string" || entry[1] === null,
  );
  return Object.fromEntries(entries);
}
