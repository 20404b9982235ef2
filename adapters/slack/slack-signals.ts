/**
 * What operators learn of Slack's API, for metrics and readiness: the WebClient waits out
 * rate limits itself and says so with an event; failed calls are named by Slack's own error
 * code; the Socket Mode connection says when it is up.
 */
import { type App, SocketModeReceiver } from "@slack/bolt";
import { WebClientEvent } from "@slack/web-api";
import type { PlatformObserver } from "../../src/bot/platform-observer.ts";

type Tell = (what: (observer: PlatformObserver) => void) => void;

/** A short, bounded name for a failed Slack call: Slack's error code, `http_<status>` or `network`. */
export function slackErrorKind(error: unknown): string {
  const { code, data, statusCode } = (error ?? {}) as {
    code?: unknown;
    data?: unknown;
    statusCode?: unknown;
  };
  switch (code) {
    case "slack_webapi_platform_error": {
      const slackError = (data as { error?: unknown } | undefined)?.error;
      // Slack's codes are lowercase words; anything else would make a label of untrusted text.
      return typeof slackError === "string" && /^[a-z_]{1,64}$/.test(slackError)
        ? slackError
        : "platform_error";
    }
    case "slack_webapi_http_error":
      return typeof statusCode === "number" ? `http_${statusCode}` : "http_error";
    case "slack_webapi_request_error":
      return "network";
    case "slack_webapi_rate_limited_error":
      return "ratelimited";
    default:
      return "other";
  }
}

export function watchSlackClient(app: App, tell: Tell): void {
  app.client.on(WebClientEvent.RATE_LIMITED, (retrySeconds: number) => {
    tell((o) => o.rateLimited({ platform: "slack", waitMs: retrySeconds * 1000 }));
  });
}

/**
 * Whether Socket Mode is connected, or null in HTTP mode (there, listening is being ready).
 * Bolt keeps its receiver private; it is reached by checking what it is, not by its type.
 */
export function socketModeConnection(app: App): { connected(): boolean } | null {
  const receiver: unknown = Reflect.get(app, "receiver");
  if (!(receiver instanceof SocketModeReceiver)) return null;
  let connected = false;
  receiver.client.on("connected", () => {
    connected = true;
  });
  for (const state of ["disconnected", "reconnecting", "disconnecting"]) {
    receiver.client.on(state, () => {
      connected = false;
    });
  }
  return { connected: () => connected };
}
