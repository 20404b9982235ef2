/**
 * Slack's side of HTTP mode: it POSTs events as JSON and slash commands as a form, signed
 * with `v0=HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body)`, and marks
 * redeliveries with `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`.
 */
import { createHmac } from "node:crypto";
import type { PostResult, SignedPostOptions } from "./types.ts";
import { unixSeconds } from "./wire.ts";

/** Bolt refuses a timestamp more than five minutes old; ten is clearly stale. */
const STALE_BY_SECONDS = 10 * 60;

export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export type SlackContentType = "application/json" | "application/x-www-form-urlencoded";

/**
 * Slack sends these content types without a `charset`; Bolt's HTTPReceiver compares the header
 * with `=== 'application/x-www-form-urlencoded'`, so a parameter would make it read the form as JSON.
 */
export async function postSigned(
  url: string,
  body: string,
  type: SlackContentType,
  signingSecret: string,
  options: SignedPostOptions = {},
): Promise<PostResult> {
  const timestamp = unixSeconds() - (options.staleTimestamp ? STALE_BY_SECONDS : 0);
  const secret = options.badSignature ? `${signingSecret}-not` : signingSecret;
  const headers: Record<string, string> = {
    "content-type": type,
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "x-slack-request-timestamp": String(timestamp),
  };
  if (!options.noSignature) headers["x-slack-signature"] = slackSignature(secret, timestamp, body);
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = options.retryReason ?? "http_timeout";
  }
  const response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}
