/** The model API's side of the metrics: calls, their failures by kind, their time and tokens. */
import { Counter, Histogram, type Registry } from "prom-client";
import type { ModelAttempt, ModelObserver } from "../agent/model-observer.ts";

/** A model call streams a whole answer: seconds, sometimes minutes. */
const CALL_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

export class ModelMetrics implements ModelObserver {
  private readonly calls: Counter<"outcome">;
  private readonly errors: Counter<"kind">;
  private readonly seconds: Histogram;
  private readonly tokens: Counter<"kind">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.calls = new Counter({
      name: "cib_model_calls_total",
      help: "Attempts at a model call, retries included, by outcome (ok or the failure's kind).",
      labelNames: ["outcome"],
      registers,
    });
    this.errors = new Counter({
      name: "cib_model_errors_total",
      help: "Model calls that failed, retried or not, by kind (model_rate_limited, model_server_error, model_stalled, model_timeout, …).",
      labelNames: ["kind"],
      registers,
    });
    this.seconds = new Histogram({
      name: "cib_model_call_duration_seconds",
      help: "How long a successful model call took, from the request to the end of its streamed answer.",
      buckets: CALL_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: "cib_model_tokens_total",
      help: "Model tokens as the API reported them, by kind (input, output).",
      labelNames: ["kind"],
      registers,
    });
    this.calls.inc({ outcome: "ok" }, 0);
    for (const kind of ["input", "output"]) this.tokens.inc({ kind }, 0);
  }

  attemptFinished(attempt: ModelAttempt): void {
    this.calls.inc({ outcome: attempt.outcome });
    if (attempt.outcome === "ok") this.seconds.observe(attempt.durationMs / 1000);
    // A cancel is the person's choice, not the API's failure.
    else if (attempt.outcome !== "model_cancelled") this.errors.inc({ kind: attempt.outcome });
    if (attempt.inputTokens) this.tokens.inc({ kind: "input" }, attempt.inputTokens);
    if (attempt.outputTokens) this.tokens.inc({ kind: "output" }, attempt.outputTokens);
  }
}
