/**
 * Counts what one request uses while it runs: model calls and their tokens as the agent
 * reports them, code runs and files out as the reply stream shows them, and files in as
 * they are copied. Watching the reply stream counts direct runs and tool calls alike.
 */
import type { TokenUsage } from "../agent/model-client.ts";
import type { ReplyEvent } from "../present/reply-events.ts";
import type { RequestUsageEnd, RequestUsageStart, UsageCounters, UsageOutcome } from "../store/types.ts";
import { zeroCounters } from "./totals.ts";

export class RequestMeter {
  readonly #counters: UsageCounters = zeroCounters();
  #usageMissing = 0;

  constructor(
    readonly start: RequestUsageStart,
    private readonly modelName: string | null,
  ) {}

  /** One model call that answered; null usage still counts the call. */
  modelCall(usage: TokenUsage | null): void {
    this.#counters.modelCalls += 1;
    if (usage === null) {
      this.#usageMissing += 1;
      return;
    }
    this.#counters.inputTokens += usage.inputTokens;
    this.#counters.outputTokens += usage.outputTokens;
  }

  filesIn(files: ReadonlyArray<{ size: number }>): void {
    for (const file of files) {
      this.#counters.filesIn += 1;
      this.#counters.filesInBytes += file.size;
    }
  }

  /** Every reply event passes here on its way to the platform. */
  seen(event: ReplyEvent): void {
    switch (event.type) {
      case "code-result":
        this.#counters.codeRuns += 1;
        this.#counters.sandboxMs += event.run.durationMs;
        return;
      case "image":
      case "file":
        this.#fileOut(event.data.length);
        return;
      case "table":
        // The table's text is part of the message; only its CSV is a file.
        if (event.csv) this.#fileOut(event.csv.data.length);
        return;
      default:
        return;
    }
  }

  #fileOut(bytes: number): void {
    this.#counters.filesOut += 1;
    this.#counters.filesOutBytes += bytes;
  }

  /** Model calls whose tokens the server did not report, so the figures are short by them. */
  get callsWithoutUsage(): number {
    return this.#usageMissing;
  }

  counters(): UsageCounters {
    return { ...this.#counters };
  }

  end(outcome: UsageOutcome, finishedAt: number): RequestUsageEnd {
    return {
      ...this.counters(),
      finishedAt,
      outcome,
      model: this.#counters.modelCalls > 0 ? this.modelName : null,
    };
  }
}
