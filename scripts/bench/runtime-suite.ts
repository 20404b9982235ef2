/**
 * The sandbox's own figures under one OCI runtime: everything the bench measures that depends on
 * what a container is (start-up, Python's start and imports, a run's round trip, resume, memory),
 * as opposed to the admission queue's behaviour under a crowd. bench.ts runs it once per runtime
 * the engine knows, so runc and runsc are compared within one run on one machine.
 */
import { randomUUID } from "node:crypto";
import type Dockerode from "dockerode";
import type { Config } from "../../src/config.ts";
import type { Logger } from "../../src/logger.ts";
import type { OciRuntime } from "../../src/sandbox/oci-runtime.ts";
import { openSandbox } from "../../src/sandbox/open-sandbox.ts";
import type { SandboxManager } from "../../src/sandbox/session-manager.ts";
import { containerMemoryMiB } from "./container-memory.ts";
import { type Row, repeat, row, time } from "./measure.ts";
import { NAIVE_PLOT_CODE, naiveRun } from "./naive-run.ts";
import { resumeSample } from "./resume.ts";

export const PLOT_CODE = "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9, 16])\nplt.show()";
export const POOL_SIZE = 2;

export interface SuiteCounts {
  warm: number;
  cold: number;
  resume: number;
}

export interface RuntimeFigures {
  runtime: OciRuntime;
  /** Timings, in milliseconds. */
  rows: Row[];
  /** Host memory per container, in MiB. */
  memory: Row[];
  /** How long this runtime's suite took, in milliseconds: what measuring it adds to the bench. */
  wallMs: number;
}

interface SuiteContext {
  config: Config;
  docker: Dockerode;
  logger: Logger;
  counts: SuiteCounts;
  log: (line: string) => void;
}

/** A new conversation's first run of `code`; with a pool, it first waits for a warm container. */
export async function firstRun(
  manager: SandboxManager,
  code: string,
  check: (images: number, stdout: string) => boolean,
): Promise<number> {
  await manager.admission.pool.whenSettled();
  const session = await manager.acquire(`bench-new-${randomUUID()}`);
  try {
    return await time(async () => {
      const run = await session.execute(code);
      if (!check(run.images.length, run.stdout))
        throw new Error(`unexpected result: ${run.status} ${run.stdout}`);
    });
  } finally {
    await session.close();
  }
}

export const printed = (_images: number, stdout: string) => stdout === "1\n";
const plotted = (images: number) => images === 1;

export async function measureRuntime(runtime: OciRuntime, context: SuiteContext): Promise<RuntimeFigures> {
  const { docker, logger, counts } = context;
  const log = (line: string) => context.log(`[${runtime}] ${line}`);
  const config: Config = { ...context.config, sandbox: { ...context.config.sandbox, runtime } };
  const started = performance.now();
  // A scope per runtime: each manager's clean-up then touches only its own containers.
  const plain = await openSandbox(config, { scope: `bench-${runtime}`, logger, docker, poolSize: 0 });
  const pooled = await openSandbox(config, {
    scope: `bench-pool-${runtime}`,
    logger,
    docker,
    poolSize: POOL_SIZE,
  });
  const rows: Row[] = [];
  const memory: Row[] = [];
  try {
    log(`(a) warm print(1) x${counts.warm}`);
    const warm = await plain.acquire(`bench-warm-${randomUUID()}`);
    await warm.execute("print(1)");
    rows.push(
      row(
        "(a) print(1), warm session",
        await repeat(counts.warm, () =>
          time(async () => {
            if ((await warm.execute("print(1)")).stdout !== "1\n") throw new Error("bad output");
          }),
        ),
      ),
    );
    rows.push(
      row(
        "plot PNG, warm session",
        await repeat(Math.max(20, Math.floor(counts.warm / 10)), () =>
          time(async () => {
            if ((await warm.execute(PLOT_CODE)).images.length !== 1) throw new Error("no plot");
          }),
        ),
      ),
    );

    // Replicas on one engine let go of a conversation's container after each request, and the
    // next request (on whichever replica) adopts it: what that costs a warm conversation.
    log(`(i) print(1), handed over between requests x${Math.max(20, Math.floor(counts.warm / 10))}`);
    rows.push(
      row(
        "(i) print(1), warm session handed over after each request (replicas)",
        await repeat(Math.max(20, Math.floor(counts.warm / 10)), () =>
          time(async () => {
            await plain.handOver(warm.key);
            const adopted = await plain.acquire(warm.key);
            if ((await adopted.execute("print(1)")).stdout !== "1\n") throw new Error("bad output");
          }),
        ),
      ),
    );
    const kept = await plain.acquire(warm.key);

    // Python's own start and imports, without a container's: the part of a cold start a runtime
    // changes through process creation and file reads rather than through the container's set-up.
    log(`(h) Python restart in a running container x${counts.cold}`);
    rows.push(
      row(
        "(h) Python restart (imports included) to first print(1)",
        await repeat(counts.cold, () =>
          time(async () => {
            await kept.reset(false);
            if ((await kept.execute("print(1)")).stdout !== "1\n") throw new Error("bad output");
          }),
        ),
      ),
    );
    await kept.close();

    log(`(b, c) new conversation, no pool x${counts.cold}`);
    rows.push(
      row(
        "(b) new conversation to first print(1), no pool",
        await repeat(counts.cold, () => firstRun(plain, "print(1)", printed)),
      ),
    );
    rows.push(
      row(
        "(c) new conversation to first plot PNG, no pool",
        await repeat(counts.cold, () => firstRun(plain, PLOT_CODE, plotted)),
      ),
    );

    log(`(b, c) new conversation, pool of ${POOL_SIZE} x${counts.cold}`);
    await pooled.startPool();
    rows.push(
      row(
        "(b) new conversation to first print(1), pool",
        await repeat(counts.cold, () => firstRun(pooled, "print(1)", printed)),
      ),
    );
    rows.push(
      row(
        "(c) new conversation to first plot PNG, pool",
        await repeat(counts.cold, () => firstRun(pooled, PLOT_CODE, plotted)),
      ),
    );

    log(`(d) naive docker run per execution x${counts.cold}`);
    // The id, as the runtime starts them: docker run by a tag that may be rebuilt meanwhile mixes images.
    const image = (await docker.getImage(plain.runtime.image).inspect()).Id;
    const limits = config.sandbox.limits;
    rows.push(
      row(
        "(d) naive: docker run per execution, print(1)",
        await repeat(counts.cold, () => time(() => naiveRun(docker, image, limits, "print(1)", runtime))),
      ),
    );
    rows.push(
      row(
        "(d) naive: docker run per execution, plot PNG",
        await repeat(counts.cold, () =>
          time(() => naiveRun(docker, image, limits, NAIVE_PLOT_CODE, runtime)),
        ),
      ),
    );

    log(`(e) resume of a suspended 50 MB conversation x${counts.resume}`);
    rows.push(
      row(
        "(e) resume: 50 MB DataFrame + 20 files, to first result (pool)",
        await repeat(counts.resume, () => resumeSample(pooled)),
      ),
    );

    log("(f) memory per idle container");
    memory.push(...(await idleMemory(pooled, docker)));
  } finally {
    await pooled.shutdown();
    await plain.shutdown();
    for (const manager of [plain, pooled]) {
      for (const container of await manager.list()) await manager.runtime.remove(container.id);
    }
  }
  return { runtime, rows, memory, wallMs: performance.now() - started };
}

export async function idleMemory(pooled: SandboxManager, docker: Dockerode): Promise<Row[]> {
  await pooled.admission.pool.whenSettled();
  const waiting = (await pooled.list()).filter((container) => container.pooled);
  const memory = [
    row(
      "(f) pooled container, warm and waiting",
      await Promise.all(waiting.map((c) => containerMemoryMiB(docker, c.id))),
    ),
  ];
  const used = await Promise.all(
    [1, 2, 3].map(async (n) => {
      const session = await pooled.acquire(`bench-memory-${randomUUID()}`);
      await session.execute(
        `${PLOT_CODE}\nimport pandas as pd\ndf = pd.DataFrame({"x": range(${n * 1000})})`,
      );
      return session;
    }),
  );
  try {
    const usedIds = (await pooled.list())
      .filter((c) => used.some((s) => s.containerName === c.name))
      .map((c) => c.id);
    memory.push(
      row(
        "(f) session after first use (plot + small DataFrame), idle",
        await Promise.all(usedIds.map((id) => containerMemoryMiB(docker, id))),
      ),
    );
  } finally {
    for (const session of used) await session.close();
  }
  return memory;
}
