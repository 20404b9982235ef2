/**
 * What Slack sends an app: message timestamps, the Events API `event_callback` body, slash
 * command fields, and the Socket Mode envelopes and control messages around them.
 */
import { randomUUID } from "node:crypto";
import { unixSeconds } from "./wire.ts";

export interface AppIdentity {
  teamId: string;
  appId: string;
  botUserId: string;
  /** The legacy verification token Slack still puts in every payload. */
  verificationToken: string;
}

/**
 * Issues `seconds.micros` timestamps that are unique and later than every ts seen so far,
 * events included, so a reply always sorts after the message it answers, as in Slack.
 */
export class TsClock {
  private lastMicros = 0;

  next(): string {
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 100);
    return format(this.lastMicros);
  }

  observe(ts: unknown): void {
    if (typeof ts !== "string" || !/^\d+\.\d{6}$/.test(ts)) return;
    const [seconds = "0", micros = "0"] = ts.split(".");
    this.lastMicros = Math.max(this.lastMicros, Number(seconds) * 1_000_000 + Number(micros));
  }
}

function format(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, "0")}`;
}

let eventCount = 0;

export function nextEventId(): string {
  eventCount += 1;
  return `Ev${String(eventCount).padStart(10, "0")}FAKE`;
}

/** The body Slack POSTs to the Request URL, and the `payload` of an `events_api` envelope. */
export function eventCallback(
  app: AppIdentity,
  event: object,
  eventId: string = nextEventId(),
): Record<string, unknown> {
  return {
    token: app.verificationToken,
    team_id: app.teamId,
    context_team_id: app.teamId,
    context_enterprise_id: null,
    api_app_id: app.appId,
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: unixSeconds(),
    authorizations: [
      {
        enterprise_id: null,
        team_id: app.teamId,
        user_id: app.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

/** Slash command fields as Slack sends them: every value a string, in the form body or the envelope. */
export function slashCommandFields(
  app: AppIdentity,
  command: Record<string, string>,
  responseUrl: string,
): Record<string, string> {
  return {
    token: app.verificationToken,
    team_id: app.teamId,
    team_domain: "fake-workspace",
    channel_id: "",
    channel_name: "general",
    user_id: "",
    user_name: "fake.user",
    command: "",
    text: "",
    api_app_id: app.appId,
    is_enterprise_install: "false",
    response_url: responseUrl,
    trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
    ...command,
  };
}

export type EnvelopeType = "events_api" | "slash_commands" | "interactive";

export function envelope(
  type: EnvelopeType,
  payload: object,
  retry: { attempt: number; reason: string } | undefined,
): { envelope_id: string; [key: string]: unknown } {
  const base = { envelope_id: randomUUID(), payload, type };
  if (type === "events_api") {
    return {
      ...base,
      accepts_response_payload: false,
      retry_attempt: retry?.attempt ?? 0,
      retry_reason: retry?.reason ?? "",
    };
  }
  return { ...base, accepts_response_payload: true };
}

export function helloMessage(app: AppIdentity, openConnections: number): object {
  return {
    type: "hello",
    num_connections: openConnections,
    debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18060 },
    connection_info: { app_id: app.appId },
  };
}

export function disconnectMessage(reason: string): object {
  return { type: "disconnect", reason, debug_info: { host: "applink-fake" } };
}
