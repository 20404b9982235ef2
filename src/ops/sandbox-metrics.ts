/**
 * The sandbox's side of the metrics: how many containers are live, idle, pooled and running
 * (read when Prometheus scrapes, so they never go stale), and how long requests waited in the
 * queue and containers took to open (told by the admission as it happens).
 */
import { Gauge, Histogram, type Registry } from "prom-client";
import type { AdmissionObserver, ContainerOpening } from "../sandbox/sandbox-admission.ts";

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

/** Most waits are nothing; a busy host makes them minutes. */
const WAIT_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** A pooled container opens in milliseconds, a new one in about a second, a restore in several. */
const OPEN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** With several engines (SANDBOX_DOCKER_HOSTS): 1 for each engine that answers, 0 for one that is down. */
export function dockerHostsGauge(
  registry: Registry,
  hosts: () => Array<{ name: string; up: boolean }>,
): void {
  new Gauge({
    name: "cib_sandbox_docker_host_up",
    help: "Whether each Docker engine of SANDBOX_DOCKER_HOSTS answers (1) or is left out as down (0).",
    labelNames: ["host"],
    registers: [registry],
    collect() {
      this.reset();
      for (const host of hosts()) this.set({ host: host.name }, host.up ? 1 : 0);
    },
  });
}

export class SandboxMetrics implements AdmissionObserver {
  private readonly waitSeconds: Histogram<"queue">;
  private readonly openSeconds: Histogram<"how">;

  constructor(registry: Registry, read: () => SandboxCounts) {
    const registers = [registry];
    const gauges: Array<[string, string, (counts: SandboxCounts) => number]> = [
      ["cib_sandboxes_live", "Sandbox containers alive, the warm pool's included.", (c) => c.live],
      [
        "cib_sandboxes_idle",
        "Conversations' sandbox containers alive but not running code.",
        (c) => Math.max(0, c.live - c.pooled - c.running),
      ],
      ["cib_sandboxes_pooled", "Warm sandbox containers ready in the pool.", (c) => c.pooled],
      ["cib_sandbox_runs_running", "Code runs going on now.", (c) => c.running],
      [
        "cib_sandbox_requests_waiting",
        "Requests waiting for a sandbox container or a run slot (the queue's length).",
        (c) => c.waiting,
      ],
    ];
    for (const [name, help, value] of gauges) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value(read()));
        },
      });
    }
    this.waitSeconds = new Histogram({
      name: "cib_sandbox_queue_wait_seconds",
      help: "How long a request waited for a sandbox container (queue=container) or a run slot (queue=run).",
      labelNames: ["queue"],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.openSeconds = new Histogram({
      name: "cib_sandbox_open_seconds",
      help: "From a conversation's turn to a running kernel, by how the container was got (adopted, pooled, created).",
      labelNames: ["how"],
      buckets: OPEN_BUCKETS,
      registers,
    });
    for (const queue of ["container", "run"]) this.waitSeconds.zero({ queue });
  }

  waited(queue: "container" | "run", ms: number): void {
    this.waitSeconds.observe({ queue }, ms / 1000);
  }

  opened(how: ContainerOpening, ms: number): void {
    this.openSeconds.observe({ how }, ms / 1000);
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
