/**
 * The bot's Prometheus metrics, all named `cib_…` (the README lists them). Requests and code
 * runs are counted as the bot reports them (BotObserver); the sandbox gauges are read when
 * Prometheus scrapes, so they never go stale and cost nothing between scrapes. Each instance
 * has its own registry, so tests and a second bot in one process do not share numbers.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { BotObserver, RequestOutcome, RequestUsageReport } from "../bot/bot-observer.ts";
import type { ExecutionStatus } from "../sandbox/types.ts";
import { ModelMetrics } from "./model-metrics.ts";
import { PlatformMetrics } from "./platform-metrics.ts";
import { type SandboxCounts, SandboxMetrics } from "./sandbox-metrics.ts";

export { type SandboxCounts, sandboxCountsOf } from "./sandbox-metrics.ts";

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
  private readonly attachmentBytes: Counter<"platform" | "direction">;
  /** Null without a sandbox to read (the CLI, tests on a fake sandbox). */
  readonly sandbox: SandboxMetrics | null;
  readonly model: ModelMetrics;
  readonly platforms: PlatformMetrics;

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
    this.attachmentBytes = new Counter({
      name: "cib_attachment_bytes_total",
      help: "Bytes of files people attached (direction=in) and the bot sent back (direction=out).",
      labelNames: ["platform", "direction"],
      registers,
    });
    for (const platform of options.platforms ?? []) {
      for (const outcome of OUTCOMES) this.requests.inc({ platform, outcome }, 0);
      for (const direction of ["in", "out"]) this.attachmentBytes.inc({ platform, direction }, 0);
    }
    this.sandbox = options.sandbox ? new SandboxMetrics(this.registry, options.sandbox) : null;
    this.model = new ModelMetrics(this.registry);
    this.platforms = new PlatformMetrics(this.registry, options.platforms ?? []);
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "cib_" });
  }

  requestFinished(request: { platform: string; outcome: RequestOutcome; durationMs: number }): void {
    const labels = { platform: request.platform, outcome: request.outcome };
    this.requests.inc(labels);
    // A repeated delivery is answered by the first one, and a refusal is instant: their zeros
    // would drag the quantiles down.
    if (request.outcome !== "duplicate" && request.outcome !== "refused")
      this.requestSeconds.observe(labels, request.durationMs / 1000);
  }

  codeRunFinished(run: { platform: string; status: ExecutionStatus; durationMs: number }): void {
    const labels = { platform: run.platform, status: run.status };
    this.runs.inc(labels);
    this.runSeconds.observe(labels, run.durationMs / 1000);
  }

  requestUsage(usage: RequestUsageReport): void {
    this.attachmentBytes.inc({ platform: usage.platform, direction: "in" }, usage.filesInBytes);
    this.attachmentBytes.inc({ platform: usage.platform, direction: "out" }, usage.filesOutBytes);
  }

  /** The exposition text and its content type, for the /metrics response. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
