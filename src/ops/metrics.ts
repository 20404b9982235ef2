/**
 * The bot's Prometheus metrics, all named `cib_…` (the README lists them). Requests and code
 * runs are counted as the bot reports them (BotObserver); the sandbox gauges are read when
 * Prometheus scrapes, so they never go stale and cost nothing between scrapes. Each instance
 * has its own registry, so tests and a second bot in one process do not share numbers.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BotObserver, RequestOutcome } from "../bot/bot.ts";
import type { ExecutionStatus } from "../sandbox/types.ts";

/** What the sandbox gauges read; SandboxAdmission has it (see sandboxCountsOf). */
export interface SandboxCounts {
  /** Containers alive: the sessions' and the warm pool's. */
  live: number;
  /** Warm containers waiting in the pool, ready to be taken. */
  pooled: number;
  /** Code runs going on now. */
  running: number;
  /** Requests waiting for a container or a run slot. */
  waiting: number;
}

export interface BotMetricsOptions {
  /** Read at each scrape; absent (the CLI, tests on a fake sandbox) leaves the sandbox gauges out. */
  sandbox?: () => SandboxCounts;
  /** Platforms whose request counters start at 0, so a rate() works before the first request. */
  platforms?: readonly string[];
  /** The process's CPU, memory, event loop and GC metrics (prom-client's defaults). */
  defaultMetrics?: boolean;
}

const OUTCOMES: readonly RequestOutcome[] = ["done", "failed", "cancelled", "duplicate", "refused"];
/** Requests include the model's thinking and queue waits: seconds to many minutes. */
const REQUEST_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** A run is often a few milliseconds of pandas, sometimes the whole time limit. */
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class BotMetrics implements BotObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<"platform" | "outcome">;
  private readonly requestSeconds: Histogram<"platform" | "outcome">;
  private readonly runs: Counter<"platform" | "status">;
  private readonly runSeconds: Histogram<"platform" | "status">;

  constructor(options: BotMetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "cib_requests_total",
      help: "Messages the bot handled, by platform and outcome (done, failed, cancelled, duplicate, refused: not allowed or over a limit).",
      labelNames: ["platform", "outcome"],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: "cib_request_duration_seconds",
      help: "Time from a message's arrival to the end of its reply, queue wait included.",
      labelNames: ["platform", "outcome"],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.runs = new Counter({
      name: "cib_code_runs_total",
      help: "Code runs in the sandbox (direct and the model's), by platform and status (ok, error, timeout, ...).",
      labelNames: ["platform", "status"],
      registers,
    });
    this.runSeconds = new Histogram({
      name: "cib_code_run_duration_seconds",
      help: "How long code ran in the sandbox, as the sandbox measured it.",
      labelNames: ["platform", "status"],
      buckets: RUN_BUCKETS,
      registers,
    });
    for (const platform of options.platforms ?? []) {
      for (const outcome of OUTCOMES) this.requests.inc({ platform, outcome }, 0);
    }
    if (options.sandbox) this.sandboxGauges(options.sandbox);
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "cib_" });
  }

  requestFinished(request: { platform: string; outcome: RequestOutcome; durationMs: number }): void {
    const labels = { platform: request.platform, outcome: request.outcome };
    this.requests.inc(labels);
    // A repeated delivery is answered by the first one; its zero would drag the quantiles down.
    if (request.outcome !== "duplicate") this.requestSeconds.observe(labels, request.durationMs / 1000);
  }

  codeRunFinished(run: { platform: string; status: ExecutionStatus; durationMs: number }): void {
    const labels = { platform: run.platform, status: run.status };
    this.runs.inc(labels);
    this.runSeconds.observe(labels, run.durationMs / 1000);
  }

  /** The exposition text and its content type, for the /metrics response. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private sandboxGauges(read: () => SandboxCounts): void {
    const gauges: Array<[string, string, keyof SandboxCounts]> = [
      ["cib_sandboxes_live", "Sandbox containers alive, the warm pool's included.", "live"],
      ["cib_sandboxes_pooled", "Warm sandbox containers ready in the pool.", "pooled"],
      ["cib_sandbox_runs_running", "Code runs going on now.", "running"],
      ["cib_sandbox_requests_waiting", "Requests waiting for a sandbox container or a run slot.", "waiting"],
    ];
    for (const [name, help, field] of gauges) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read()[field]);
        },
      });
    }
  }
}

/** The counts of the Docker sandbox's admission, in the gauges' terms. */
export function sandboxCountsOf(admission: {
  liveCount: number;
  runningCount: number;
  waitingCount: number;
  pool: { readyCount: number };
}): () => SandboxCounts {
  return () => ({
    live: admission.liveCount,
    pooled: admission.pool.readyCount,
    running: admission.runningCount,
    waiting: admission.waitingCount,
  });
}
