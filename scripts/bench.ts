/**
 * `npm run bench`: how fast the sandbox answers and what it costs, against the real Docker
 * engine, in one run.
 *   (a) print(1) and a plot in a warm session
 *   (b) new conversation to its first print(1), (c) to its first plot PNG: without and with the pool
 *   (d) the naive approach, one fresh container per execution, for the same work
 *   (e) resume of a suspended conversation holding a 50 MB DataFrame and 20 files
 *   (f) host memory per idle container, pooled and after first use
 *   (g) 100 conversations sending work at once
 *   (h) Python's restart, imports included, in a running container
 *   (i) print(1) in a warm session that is handed over after each request, as replicas do
 * and, in a section of their own, "Scaling out (issue #12)":
 *   (j) a conversation's next run after its Docker engine stopped, restored with its files on another
 *       engine (a second dockerd on this machine; skipped, saying why, without root or nsenter)
 *   (k) requests per second across two bot processes (`npm start`) on one PostgreSQL, against one
 * (a)-(f), (h) and (i) are taken under runc and, when the engine knows it, under runsc (gVisor), and
 * shown side by side; (g) measures the admission queue, under the runtime SANDBOX_RUNTIME selects.
 * Prints medians, p95s, ratios and the issue's targets; with --write, also writes BENCHMARKS.md.
 * and, in "The sandbox image (issue #13)" (bench/image-stack.ts): the image's size, a cold start and
 *   a pooled container's memory, beside those of an older image given with --baseline REF; what each
 *   group of the Dockerfile adds; first imports of the libraries the pool does not load.
 * `--only scaling` or `--only image` runs that section alone; with --write it replaces (or adds) only
 * that section of BENCHMARKS.md and leaves the rest of the file as it is.
 * Usage: npm run bench -- [--write] [--only scaling|image] [--baseline IMAGE] [--image-samples N]
 *   [--warm N] [--cold N] [--resume N] [--crowd N] [--restore N] [--requests N]
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { parseArgs } from "node:util";
import type Dockerode from "dockerode";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { createDocker, openSandbox } from "../src/sandbox/open-sandbox.ts";
import { crowd } from "./bench/crowd.ts";
import { currentImage, IMAGE_HEADING, type ImageContext, imageSection } from "./bench/image-stack.ts";
import { percentile, type Row } from "./bench/measure.ts";
import { runtimeTable, suiteTimes } from "./bench/report.ts";
import { measureRuntime, POOL_SIZE, type RuntimeFigures } from "./bench/runtime-suite.ts";
import { benchRuntimes } from "./bench/runtimes.ts";
import { SCALING_HEADING, type ScalingContext, scalingSection } from "./bench/scaling.ts";
import { withSection } from "./bench/sections.ts";

const { values } = parseArgs({
  options: {
    write: { type: "boolean", default: false },
    warm: { type: "string", default: "300" },
    cold: { type: "string", default: "7" },
    resume: { type: "string", default: "3" },
    crowd: { type: "string", default: "100" },
    only: { type: "string" },
    restore: { type: "string", default: "3" },
    requests: { type: "string", default: "20" },
    baseline: { type: "string" },
    "image-samples": { type: "string", default: "5" },
  },
});
const PARTS_ALONE = ["scaling", "image"];
if (values.only !== undefined && !PARTS_ALONE.includes(values.only)) {
  throw new Error(`--only ${values.only}: the parts that run alone are ${PARTS_ALONE.join(" and ")}`);
}
const counts = { warm: Number(values.warm), cold: Number(values.cold), resume: Number(values.resume) };
const crowdSize = Number(values.crowd);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
  const logger = createLogger({ level: config.logLevel });
  const docker = createDocker(config);
  const scaling: ScalingContext = {
    config,
    docker,
    logger,
    restoreSamples: Number(values.restore),
    requests: Number(values.requests),
    // The bot processes of (k) get no .env: they reach the bench's engine as it does.
    botEnv: process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {},
    machine: await machineLine(docker),
    log,
  };
  const image: ImageContext = {
    config,
    docker,
    logger,
    samples: Number(values["image-samples"]),
    baseline: values.baseline ?? null,
    log,
  };
  const imagePart = async () => imageSection(image, await currentImage(config, docker, logger));
  if (values.only !== undefined) {
    const [heading, section] =
      values.only === "scaling"
        ? [SCALING_HEADING, await scalingSection(scaling)]
        : [IMAGE_HEADING, await imagePart()];
    process.stdout.write(`\n${section}\n`);
    if (values.write) await writeFile("BENCHMARKS.md", await withSection("BENCHMARKS.md", heading, section));
    return;
  }
  const { measured, runscMissing } = await benchRuntimes(docker);
  if (runscMissing) log(`runsc not measured: ${runscMissing}`);

  const figures: RuntimeFigures[] = [];
  for (const runtime of measured) {
    figures.push(await measureRuntime(runtime, { config, docker, logger, counts, log }));
  }

  // The crowd measures admission (the live and running limits, the fair queue), which no runtime
  // changes but for how fast it starts containers, and it is the bench's longest part; it runs
  // once, under the runtime the bot would use.
  const crowdRuntime = config.sandbox.runtime;
  log(`(g) ${crowdSize} conversations at once, ${crowdRuntime}`);
  const crowdStarted = performance.now();
  const pooled = await openSandbox(config, { scope: "bench-crowd", logger, docker, poolSize: POOL_SIZE });
  let crowdRows: string[];
  try {
    await pooled.startPool();
    const result = await crowd(pooled, crowdSize);
    const { maxLive, maxRunning } = config.sandbox;
    crowdRows = [
      `${result.conversations} conversations, each one run, sent at once (${crowdRuntime}, SANDBOX_MAX_LIVE=${maxLive}, SANDBOX_MAX_RUNNING=${maxRunning}, pool ${POOL_SIZE}):`,
      `- answered: ${result.answered}, lost: ${result.lost}`,
      `- all answered after ${(result.wallMs / 1000).toFixed(1)} s; most containers alive at once: ${result.peakLive}`,
      `- wait for its turn: median ${(percentile(result.waits, 50) / 1000).toFixed(2)} s, slowest ${(Math.max(...result.waits) / 1000).toFixed(2)} s`,
      `- submission to answer: median ${(percentile(result.latencies, 50) / 1000).toFixed(2)} s, p95 ${(percentile(result.latencies, 95) / 1000).toFixed(2)} s`,
    ];
  } finally {
    await pooled.shutdown();
    for (const container of await pooled.list()) await pooled.runtime.remove(container.id);
  }
  const crowdMs = performance.now() - crowdStarted;

  // Ratios and targets are the bot's: those of the runtime it runs with.
  const own = figures.find((f) => f.runtime === crowdRuntime) ?? figures[0];
  const find = (list: Row[] | undefined, name: string) =>
    list?.find((r) => r.name.startsWith(name))?.median ?? Number.NaN;
  const med = (name: string) => find(own?.rows, name);
  const memoryMedian = (name: string) => find(own?.memory, name);
  const ratios = [
    `new conversation to first plot, no pool / pool: ${(med("(c) new conversation to first plot PNG, no") / med("(c) new conversation to first plot PNG, pool")).toFixed(1)}x`,
    `new conversation to first plot with the pool / warm-session plot: ${(med("(c) new conversation to first plot PNG, pool") / med("plot PNG, warm")).toFixed(2)}x`,
    `naive plot / new conversation to first plot with the pool: ${(med("(d) naive: docker run per execution, plot") / med("(c) new conversation to first plot PNG, pool")).toFixed(1)}x`,
    `naive print(1) / warm print(1): ${(med("(d) naive: docker run per execution, print") / med("(a)")).toFixed(0)}x`,
    `warm print(1) handed over between replicas / warm print(1): ${(med("(i)") / med("(a)")).toFixed(1)}x`,
  ];
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
  const runtimesLine = runscMissing
    ? `Runtimes: runc only; runsc (gVisor) was not measured: ${runscMissing}.`
    : "Runtimes: runc and runsc (gVisor), measured one after the other in this run.";
  const report = [
    `Machine: ${scaling.machine}`,
    runtimesLine,
    runtimeTable(figures),
    crowdRows.join("\n"),
    `Ratios (medians, ${crowdRuntime}):\n${ratios.map((r) => `- ${r}`).join("\n")}`,
    `Targets (issue #8, ${crowdRuntime}):\n${targets.map((t) => `- ${t}`).join("\n")}`,
    `Time taken: ${suiteTimes(figures)}, the crowd ${(crowdMs / 1000).toFixed(0)} s.`,
  ].join("\n\n");
  process.stdout.write(`\n${report}\n`);
  log("(j, k) scaling out");
  const section = await scalingSection(scaling);
  process.stdout.write(`\n${section}\n`);
  log("the sandbox image");
  const imageReport = await imagePart();
  process.stdout.write(`\n${imageReport}\n`);
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
        "as `docker stats` reports it; under runsc that cgroup holds gVisor's Sentry and gofer as well as user code. " +
        "When the engine knows runsc, every sandbox figure is taken under runc and then under runsc, with the same " +
        `image, limits and code.\n\n${section}\n\n${imageReport}\n`,
    );
  }
}

async function machineLine(docker: Dockerode): Promise<string> {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const dockerVersion = (await docker.version()).Version;
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, Docker ${dockerVersion}`;
}

function target(name: string, value: number, limit: number, unit: string): string {
  const met = value <= limit;
  const by = met ? "" : `, missed by ${(value - limit).toFixed(unit === "ms" && limit < 10 ? 2 : 0)} ${unit}`;
  return `${name}: ${value.toFixed(2)} ${unit}, ${met ? "met" : "not met"}${by}`;
}

await main();
