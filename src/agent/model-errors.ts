/**
 * What a failed model call means for the user: a sentence they can act on, and whether
 * trying again can help. Unknown errors are wrapped here, where they enter our code.
 */
import OpenAI from "openai";
import type { ModelConfig } from "../config.ts";
import { BotError } from "../errors.ts";

export class ModelCallError extends BotError {
  constructor(
    code: string,
    message: string,
    readonly retryable: boolean,
    cause?: unknown,
    readonly retryAfterMs: number | null = null,
    readonly shortReason: string = message,
  ) {
    super(code, message, { action: retryable ? "retry" : "tell-user", cause });
  }
}

function endpoint(config: ModelConfig): string {
  return config.baseURL ?? "https://api.openai.com/v1";
}

function retryAfter(headers: Headers | undefined): number | null {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms)) return ms;
  const raw = headers?.get("retry-after");
  if (!raw) return null;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

export function describeModelError(error: unknown, config: ModelConfig): ModelCallError {
  if (error instanceof ModelCallError) return error;
  const where = endpoint(config);
  if (error instanceof OpenAI.APIUserAbortError) {
    return new ModelCallError("model_cancelled", "The request to the model was cancelled.", false, error);
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ModelCallError(
      "model_timeout",
      `The model API at ${where} did not answer within ${Math.round(config.requestTimeoutMs / 1000)} s. Try again; if it keeps happening, check that the server is up (OPENAI_BASE_URL) or raise OPENAI_TIMEOUT_SECONDS.`,
      false,
      error,
      null,
      "The model API did not answer in time",
    );
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new ModelCallError(
      "model_unreachable",
      `Could not reach the model API at ${where}. Check OPENAI_BASE_URL and that the server is running.`,
      true,
      error,
      null,
      "Could not reach the model API",
    );
  }
  if (error instanceof OpenAI.APIError && error.status === undefined) {
    // OpenAI ends a stream with `data: {"error": …}` when it fails after the headers went out.
    return new ModelCallError(
      "model_stream_error",
      `The model API failed in the middle of its answer${apiDetail(error)}. Try again in a moment.`,
      true,
      error,
      null,
      "The model API failed in the middle of its answer",
    );
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    const detail = apiDetail(error);
    if (status === 401 || status === 403) {
      return new ModelCallError(
        "model_auth",
        `The model API refused the API key (${status}). Check OPENAI_API_KEY.`,
        false,
        error,
      );
    }
    if (status === 404) {
      return new ModelCallError(
        "model_not_found",
        `The model API at ${where} does not know the model "${config.model}" (404). Check OPENAI_MODEL.`,
        false,
        error,
      );
    }
    if (status === 429) {
      const wait = retryAfter(error.headers);
      // The server's own word on when, when it gave one: it may be far more than a minute.
      const when = wait === null ? "Wait a minute and try again" : `It asks to wait ${waitText(wait)}`;
      return new ModelCallError(
        "model_rate_limited",
        `The model API is rate-limiting this bot (429)${detail}. ${when}.`,
        true,
        error,
        wait,
        "The model API is busy (429)",
      );
    }
    if (status >= 500) {
      return new ModelCallError(
        "model_server_error",
        `The model API failed (${status})${detail}. Try again in a moment.`,
        true,
        error,
        retryAfter(error.headers),
        `The model API failed (${status})`,
      );
    }
    if (status === 400 && /context|token|too long|maximum/i.test(error.message)) {
      return new ModelCallError(
        "model_context_too_long",
        "The conversation is too long for the model. Start a new thread, or say `reset` to clear this one.",
        false,
        error,
      );
    }
    return new ModelCallError(
      "model_rejected",
      `The model API rejected the request (${status})${detail}.`,
      false,
      error,
    );
  }
  if (error instanceof TypeError && /terminated|socket|other side closed/i.test(error.message)) {
    // undici's error when the server closes a response that was already streaming.
    return new ModelCallError(
      "model_disconnected",
      `The model API at ${where} closed the connection in the middle of its answer. Try again.`,
      true,
      error,
      null,
      "The model API closed the connection mid-answer",
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModelCallError("model_failed", `The call to the model failed: ${message}`, false, error);
}

/**
 * What the API itself said, from its JSON error body, as ` ("…")`; nothing when there was no
 * such body. The SDK's `message` is not used: it repeats the status and, when a gateway answered
 * instead of the API, carries the gateway's whole HTML page.
 */
function apiDetail(error: InstanceType<typeof OpenAI.APIError>): string {
  const body: unknown = error.error;
  const said =
    typeof body === "object" && body !== null && "message" in body && typeof body.message === "string"
      ? body.message.replace(/\s+/g, " ").trim()
      : "";
  if (!said) return "";
  return ` ("${said.length > 200 ? `${said.slice(0, 199)}…` : said}")`;
}

/**
 * A stream whose events could not be read: not JSON, or JSON of the wrong shape. Retried, as a
 * proxy may have mangled one answer; when it keeps happening the server is not speaking
 * OpenAI's format, which is the admin's to fix.
 */
export function unreadableStream(config: ModelConfig, what: string, cause?: unknown): ModelCallError {
  return new ModelCallError(
    "model_bad_stream",
    `The model API sent part of its answer in a form I could not read (${what}), so the request was abandoned. Try again; if it keeps happening, the server at ${endpoint(config)} may not be fully OpenAI-compatible.`,
    true,
    cause,
    null,
    "The model API sent an answer I could not read",
  );
}

/** A wait as a person says it: "45 s", "2 minutes", "3 hours". */
function waitText(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} minutes` : `${Math.round(minutes / 60)} hours`;
}

/** How long to wait before retry number `attempt` (0-based): the server's word, else backoff. */
export function retryDelayMs(error: ModelCallError, attempt: number): number {
  if (error.retryAfterMs !== null) return error.retryAfterMs;
  return Math.min(500 * 2 ** attempt, 8_000);
}
