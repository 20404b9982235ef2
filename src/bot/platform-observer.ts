/**
 * What an adapter tells operators about its platform's API, for metrics: calls that failed and
 * waits the platform imposed. Calls are synchronous and must not throw (adapters call them
 * through `tellPlatformObservers`, which logs and drops a throw).
 */
import type { Logger } from "../logger.ts";

export interface PlatformObserver {
  /**
   * A call to the platform's API failed after the SDK's own retries. `kind` is short and
   * bounded: the platform's error code (Slack's `channel_not_found`), `http_<status>`, or
   * `network`.
   */
  apiError(event: { platform: string; kind: string }): void;
  /** The SDK held a call back because the platform rate-limited it, for `waitMs`. */
  rateLimited(event: { platform: string; waitMs: number }): void;
}

/** Tells each observer; one that throws is logged, never breaks the adapter. */
export function tellPlatformObservers(
  observers: readonly PlatformObserver[],
  logger: Logger,
  tell: (observer: PlatformObserver) => void,
): void {
  for (const observer of observers) {
    try {
      tell(observer);
    } catch (error) {
      logger.warn({ err: error }, "a platform observer failed");
    }
  }
}
