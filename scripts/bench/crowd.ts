/**
 * Many conversations sending work at once: every one must be answered and none lost, however
 * long the queue. Reports how long the slowest waited for its turn and the answers' latencies.
 */
import { randomUUID } from "node:crypto";
import type { SandboxManager } from "../../src/sandbox/session-manager.ts";

export interface CrowdResult {
  conversations: number;
  answered: number;
  lost: number;
  wallMs: number;
  /** Submission to answer, per conversation. */
  latencies: number[];
  /** Submission to the code starting, per conversation. */
  waits: number[];
  peakLive: number;
}

const USERS = 10;

function work(index: number): { code: string; expected: string } {
  return {
    code: `import pandas as pd\ndf = pd.DataFrame({"x": range(1000)})\nprint(int(df.x.sum()) + ${index})`,
    expected: `${499_500 + index}\n`,
  };
}

export async function crowd(manager: SandboxManager, conversations: number): Promise<CrowdResult> {
  const run = randomUUID().slice(0, 8);
  const keys = Array.from({ length: conversations }, (_, index) => `bench-crowd-${run}-${index}`);
  let peakLive = 0;
  const sampler = setInterval(() => {
    peakLive = Math.max(peakLive, manager.admission.liveCount);
  }, 20);
  const started = performance.now();
  try {
    const outcomes = await Promise.allSettled(
      keys.map(async (key, index) => {
        const session = await manager.acquire(key);
        const { code, expected } = work(index);
        const submitted = performance.now();
        let startedAt = submitted;
        const result = await session.execute(code, {
          owner: `user-${index % USERS}`,
          onStage: (stage) => {
            if (stage.stage === "running") startedAt = performance.now();
          },
        });
        if (result.status !== "ok" || result.stdout !== expected) {
          throw new Error(`conversation ${index}: ${result.status} ${JSON.stringify(result.stdout)}`);
        }
        return { latency: performance.now() - submitted, wait: startedAt - submitted };
      }),
    );
    const wallMs = performance.now() - started;
    const answered = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") process.stderr.write(`lost: ${String(outcome.reason)}\n`);
    }
    return {
      conversations,
      answered: answered.length,
      lost: conversations - answered.length,
      wallMs,
      latencies: answered.map((answer) => answer.latency),
      waits: answered.map((answer) => answer.wait),
      peakLive,
    };
  } finally {
    clearInterval(sampler);
    for (const key of keys) await manager.close(key).catch(() => undefined);
  }
}
