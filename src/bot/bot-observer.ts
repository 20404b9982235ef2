/**
 * What the bot tells its observers (metrics, src/ops/) about each request and code run, apart
 * from the bot itself so an observer needs none of its machinery.
 */
import type { ExecutionStatus } from "../sandbox/types.ts";
import type { UsageCounters, UsageOutcome } from "../store/types.ts";

/** How a request ended, for observers: a repeated delivery is ignored, and counted as such. */
export type RequestOutcome = "done" | "failed" | "cancelled" | "duplicate" | "refused";

/**
 * Told what the bot did, for metrics (src/ops/). Calls are synchronous and must not throw; the
 * bot catches and logs anything they throw so an observer can never break a reply.
 */
export interface BotObserver {
  /** From the delivery's arrival to its last reply event, queue wait included. */
  requestFinished(request: { platform: string; outcome: RequestOutcome; durationMs: number }): void;
  /** One run of code in the sandbox: a direct run or one of the model's tool calls. */
  codeRunFinished(run: { platform: string; status: ExecutionStatus; durationMs: number }): void;
  /**
   * What a recorded request used, once, when it ends. Commands and refused or repeated
   * deliveries are not recorded, so they are not told here.
   */
  requestUsage?(usage: RequestUsageReport): void;
}

export interface RequestUsageReport extends UsageCounters {
  platform: string;
  outcome: UsageOutcome;
}
