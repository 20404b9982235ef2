/**
 * Open requests as rows, whatever database holds them. A reply address is JSON in a TEXT
 * column, so a row whose address is not an object of strings is read as having none, and
 * answered nowhere rather than anywhere.
 */
import type { OpenRequest, ReplyAddress } from "./types.ts";

export type OpenRequestRow = {
  id: string;
  platform: string;
  conversation_key: string;
  reply_address: string;
  received_at: number;
  started_at: number | null;
  owner: string | null;
};

export function openRequestParams(
  request: OpenRequest,
): [string, string, string, string, number, number | null, string | null] {
  const { id, platform, conversationKey, replyAddress, receivedAt, startedAt, owner } = request;
  return [id, platform, conversationKey, JSON.stringify(replyAddress), receivedAt, startedAt, owner];
}

export function toOpenRequest(row: OpenRequestRow): OpenRequest {
  return {
    id: row.id,
    platform: row.platform,
    conversationKey: row.conversation_key,
    replyAddress: parseAddress(row.reply_address),
    receivedAt: row.received_at,
    startedAt: row.started_at,
    owner: row.owner,
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

/** Oldest first, as listOpenRequests orders them: an UPDATE ... RETURNING has no ORDER BY of its own. */
export function toOpenRequestsOldestFirst(rows: readonly OpenRequestRow[]): OpenRequest[] {
  return rows.map(toOpenRequest).sort((a, b) => a.receivedAt - b.receivedAt || a.id.localeCompare(b.id));
}
