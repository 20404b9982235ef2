/**
 * What the model client tells operators about each attempt at a model call, for metrics:
 * retried attempts included, so a 429 that a retry hid still shows. Calls are synchronous and
 * must not throw (the client logs and drops a throw).
 */
export interface ModelAttempt {
  /** "ok", or the failure's code (model_rate_limited, model_server_error, model_stalled, …). */
  outcome: string;
  durationMs: number;
  /** As the API reported them; null when it sent no usage figures (or the attempt failed). */
  inputTokens: number | null;
  outputTokens: number | null;
}

export interface ModelObserver {
  attemptFinished(attempt: ModelAttempt): void;
}
