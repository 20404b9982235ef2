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
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    const detail = error.message ? ` (${error.message.slice(0, 200)})` : "";
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
      return new ModelCallError(
        "model_rate_limited",
        `The model API is rate-limiting this bot (429)${detail}. Wait a minute and try again.`,
        true,
        error,
        retryAfter(error.headers),
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

/** How long to wait before retry number `attempt` (0-based): the server's word, else backoff. */
export function retryDelayMs(error: ModelCallError, attempt: number): number {
  if (error.retryAfterMs !== null) return error.retryAfterMs;
  return Math.min(500 * 2 ** attempt, 8_000);
}
