/** Rows the Store contract writes: two conversations, and a message, a request and an open request. */
import type { ConversationMessage, OpenRequest, RequestUsageStart } from "../../src/store/types.ts";

export const KEY = "slack:T123:C456:1700000000.000100";
export const OTHER = "discord:guild:channel:thread";

export function user(content: string): ConversationMessage {
  return { role: "user", content };
}

export function usageStart(id: string, overrides: Partial<RequestUsageStart> = {}): RequestUsageStart {
  return {
    id,
    platform: "slack",
    userId: "U1",
    userName: "Ada",
    conversationKey: "slack:T:C:1",
    startedAt: 1_000,
    ...overrides,
  };
}

export function openRequest(id: string, overrides: Partial<OpenRequest> = {}): OpenRequest {
  return {
    id,
    platform: "slack",
    conversationKey: KEY,
    replyAddress: { channel: "C1", ts: id, note: null },
    receivedAt: 1_000,
    startedAt: null,
    owner: "replica-a",
    ...overrides,
  };
}
