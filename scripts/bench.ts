/**
 * `npm run bench`: how fast the sandbox answers and what it costs, against the real Docker
 * engine, in one run.
 *   (a) print(1) and a plot in a warm session
 *   (b) new conversation to its first print(1), (c) to its first plot PNG: without and with the pool
 *   (d) the naive approach, one fresh container per execution, for the same work
 *   (e) resume of a suspended conversation holding a 50 MB DataFrame and 20 files
 *   (f) host memory per idle container, pooled and after first use
 *   (g) 100 conversations sending work at once
 * Prints medians, p95s, ratios and the issue's targets; with --write, also writes BENCHMARKS.md.
 * Usage: npm run bench -- [--write] [--warm N] [--cold N] [--crowd N]
 */
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { createDocker, openSandbox } from "../src/sandbox/open-sandbox.ts";
import type { SandboxManager } from "../src/sandbox/session-manager.ts";
import { containerMemoryMiB } from "./bench/container-memory.ts";
import { crowd } from "./bench/crowd.ts";
import { percentile, type Row, repeat, row, time } from "./bench/measure.ts";
import { NAIVE_PLOT_CODE, naiveRun } from "./bench/naive-run.ts";
import { resumeSample } from "./bench/resume.ts";

const PLOT_CODE = "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9, 16])\nplt.show()";
const POOL_SIZE = 2;

const { values } = parseArgs({
  options: {
    write: { type: "boolean", default: false },
    warm: { type: "string", default: "300" },
    cold: { type: "string", default: "7" },
    resume: { type: "string", default: "3" },
    crowd: { type: "string", default: "100" },
  },
});
const warmRuns = Number(values.warm);
const coldRuns = Number(values.cold);
const resumeRuns = Number(values.resume);
const crowdSize = Number(values.crowd);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A new conversation's first run of `code`; with a pool, it first waits for a warm container. */
async function firstRun(
  manager: SandboxManager,
  code: string,
  check: (images: number, stdout: string) => boolean,
) {
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

const printed = (_images: number, stdout: string) => stdout === "1\n";
const plotted = (images: number) => images === 1;

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
  const logger = createLogger({ level: config.logLevel });
  const docker = createDocker(config);
  const plain = await openSandbox(config, { scope: "bench", logger, docker, poolSize: 0 });
  const pooled = await openSandbox(config, { scope: "bench-pool", logger, docker, poolSize: POOL_SIZE });
  const image = await plain.runtime.imageId();
  const rows: Row[] = [];
  const memory: Row[] = [];
  let crowdRows: string[] = [];

  try {
    log(`(a) warm print(1) x${warmRuns}`);
    const warm = await plain.acquire(`bench-warm-${randomUUID()}`);
    await warm.execute("print(1)");
    rows.push(
      row(
        "(a) print(1), warm session",
        await repeat(warmRuns, () =>
          time(async () => {
            if ((await warm.execute("print(1)")).stdout !== "1\n") throw new Error("bad output");
          }),
        ),
      ),
    );
    rows.push(
      row(
        "plot PNG, warm session",
        await repeat(Math.max(20, Math.floor(warmRuns / 10)), () =>
          time(async () => {
            if ((await warm.execute(PLOT_CODE)).images.length !== 1) throw new Error("no plot");
          }),
        ),
      ),
    );
    await warm.close();

    log(`(b, c) new conversation, no pool x${coldRuns}`);
    rows.push(
      row(
        "(b) new conversation to first print(1), no pool",
        await repeat(coldRuns, () => firstRun(plain, "print(1)", printed)),
      ),
    );
    rows.push(
      row(
        "(c) new conversation to first plot PNG, no pool",
        await repeat(coldRuns, () => firstRun(plain, PLOT_CODE, plotted)),
      ),
    );

    log(`(b, c) new conversation, pool of ${POOL_SIZE} x${coldRuns}`);
    await pooled.startPool();
    rows.push(
      row(
        "(b) new conversation to first print(1), pool",
        await repeat(coldRuns, () => firstRun(pooled, "print(1)", printed)),
      ),
    );
    rows.push(
      row(
        "(c) new conversation to first plot PNG, pool",
        await repeat(coldRuns, () => firstRun(pooled, PLOT_CODE, plotted)),
      ),
    );

    log(`(d) naive docker run per execution x${coldRuns}`);
    const limits = config.sandbox.limits;
    rows.push(
      row(
        "(d) naive: docker run per execution, print(1)",
        await repeat(coldRuns, () => time(() => naiveRun(docker, image, limits, "print(1)"))),
      ),
    );
    rows.push(
      row(
        "(d) naive: docker run per execution, plot PNG",
        await repeat(coldRuns, () => time(() => naiveRun(docker, image, limits, NAIVE_PLOT_CODE))),
      ),
    );

    log(`(e) resume of a suspended 50 MB conversation x${resumeRuns}`);
    rows.push(
      row(
        "(e) resume: 50 MB DataFrame + 20 files, to first result (pool)",
        await repeat(resumeRuns, () => resumeSample(pooled)),
      ),
    );

    log("(f) memory per idle container");
    await pooled.admission.pool.whenSettled();
    const waiting = (await pooled.list()).filter((container) => container.pooled);
    memory.push(
      row(
        "(f) pooled container, warm and waiting",
        await Promise.all(waiting.map((c) => containerMemoryMiB(docker, c.id))),
      ),
    );
    const used = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const session = await pooled.acquire(`bench-memory-${randomUUID()}`);
        await session.execute(
          `${PLOT_CODE}\nimport pandas as pd\ndf = pd.DataFrame({"x": range(${n * 1000})})`,
        );
        return session;
      }),
    );
    const usedIds = (await pooled.list())
      .filter((c) => used.some((s) => s.containerName === c.name))
      .map((c) => c.id);
    memory.push(
      row(
        "(f) session after first use (plot + small DataFrame), idle",
        await Promise.all(usedIds.map((id) => containerMemoryMiB(docker, id))),
      ),
    );
    for (const session of used) await session.close();

    log(`(g) ${crowdSize} conversations at once`);
    const result = await crowd(pooled, crowdSize);
    const { maxLive, maxRunning } = config.sandbox;
    crowdRows = [
      `${result.conversations} conversations, each one run, sent at once (SANDBOX_MAX_LIVE=${maxLive}, SANDBOX_MAX_RUNNING=${maxRunning}, pool ${POOL_SIZE}):`,
      `- answered: ${result.answered}, lost: ${result.lost}`,
      `- all answered after ${(result.wallMs / 1000).toFixed(1)} s; most containers alive at once: ${result.peakLive}`,
      `- wait for its turn: median ${(percentile(result.waits, 50) / 1000).toFixed(2)} s, slowest ${(Math.max(...result.waits) / 1000).toFixed(2)} s`,
      `- submission to answer: median ${(percentile(result.latencies, 50) / 1000).toFixed(2)} s, p95 ${(percentile(result.latencies, 95) / 1000).toFixed(2)} s`,
    ];
  } finally {
    await pooled.shutdown();
    await plain.shutdown();
    for (const manager of [plain, pooled]) {
      for (const container of await manager.list()) await manager.runtime.remove(container.id);
    }
  }

  const med = (name: string) => rows.find((r) => r.name.startsWith(name))?.median ?? Number.NaN;
  const ratios = [
    `new conversation to first plot, no pool / pool: ${(med("(c) new conversation to first plot PNG, no") / med("(c) new conversation to first plot PNG, pool")).toFixed(1)}x`,
    `new conversation to first plot with the pool / warm-session plot: ${(med("(c) new conversation to first plot PNG, pool") / med("plot PNG, warm")).toFixed(2)}x`,
    `naive plot / new conversation to first plot with the pool: ${(med("(d) naive: docker run per execution, plot") / med("(c) new conversation to first plot PNG, pool")).toFixed(1)}x`,
    `naive print(1) / warm print(1): ${(med("(d) naive: docker run per execution, print") / med("(a)")).toFixed(0)}x`,
  ];
  const memoryMedian = (name: string) => memory.find((r) => r.name.startsWith(name))?.median ?? Number.NaN;
  const targets = [
    target(
      "new conversation to first plot PNG with the pool ≤ 150 ms",
      med("(c) new conversation to first plot PNG, pool"),
      150,
      "ms",
    ),
    target("warm print(1) ≤ 2 ms", med("(a)"), 2, "ms"),
    target(
      "host memory per idle session ≤ 80 MiB (after first use)",
      memoryMedian("(f) session after"),
      80,
      "MiB",
    ),
    target("resume of the 50 MB session < 3 s", med("(e)"), 3000, "ms"),
  ];
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const dockerVersion = (await docker.version()).Version;
  const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, Docker ${dockerVersion}`;
  const table = (unit: string, list: Row[]) =>
    [
      `| measurement | samples | median (${unit}) | p95 (${unit}) |`,
      "|---|---:|---:|---:|",
      ...list.map((r) => `| ${r.name} | ${r.runs} | ${r.median.toFixed(2)} | ${r.p95.toFixed(2)} |`),
    ].join("\n");
  const report = [
    `Machine: ${machine}`,
    table("ms", rows),
    table("MiB", memory),
    crowdRows.join("\n"),
    `Ratios (medians):\n${ratios.map((r) => `- ${r}`).join("\n")}`,
    `Targets (issue #8):\n${targets.map((t) => `- ${t}`).join("\n")}`,
  ].join("\n\n");
  process.stdout.write(`\n${report}\n`);
  if (values.write) {
    await writeFile(
      "BENCHMARKS.md",
      `# Benchmarks\n\nMeasured with \`npm run bench -- --write\` on ${new Date().toISOString().slice(0, 10)}, one run ` +
        "(machines here are noisy: compare ratios within one run, not figures across runs).\n\n" +
        `${report}\n\n` +
        "The pool keeps warm containers (kernel running, numpy/pandas/matplotlib loaded, a first figure drawn) for " +
        "new and resumed conversations; before each pool sample the bench waits for the pool to refill, as it does " +
        "between conversations that do not arrive all at once. The naive approach starts one equally hardened " +
        "container per execution (`docker run --rm` through the API), so it pays container start-up and Python " +
        "imports every time and keeps no state. Memory is the container's cgroup usage minus inactive page cache, " +
        "as `docker stats` reports it.\n",
    );
  }
}

function target(name: string, value: number, limit: number, unit: string): string {
  const met = value <= limit;
  const by = met ? "" : `, missed by ${(value - limit).toFixed(unit === "ms" && limit < 10 ? 2 : 0)} ${unit}`;
  return `${name}: ${value.toFixed(2)} ${unit}, ${met ? "met" : "not met"}${by}`;
}

await main();
