/**
 * `npm run bench`: how fast the sandbox answers, against the real Docker engine, in one run.
 *   (a) print(1) round trip in a warm session
 *   (b) new session to the first print(1)
 *   (c) new session to the first plot PNG
 *   (d) the naive approach, one fresh container per execution, for the same work
 * Prints medians and p95 and the ratios; with --write, also writes BENCHMARKS.md.
 * Usage: npm run bench -- [--write] [--warm N] [--cold N]
 */
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { PassThrough } from "node:stream";
import { parseArgs } from "node:util";
import type Dockerode from "dockerode";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { containerSpec } from "../src/sandbox/container-spec.ts";
import { createDocker, openSandbox } from "../src/sandbox/open-sandbox.ts";
import { DEFAULT_UID_RANGE } from "../src/sandbox/sandbox-uid.ts";

const PLOT_CODE = "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9, 16])\nplt.show()";
const NAIVE_PLOT_CODE =
  "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nplt.plot([1, 4, 9, 16])\n" +
  "import io, sys\nb = io.BytesIO()\nplt.savefig(b, format='png')\nsys.stdout.buffer.write(b.getvalue()[:8])";

const { values } = parseArgs({
  options: {
    write: { type: "boolean", default: false },
    warm: { type: "string", default: "300" },
    cold: { type: "string", default: "7" },
  },
});
const warmRuns = Number(values.warm);
const coldRuns = Number(values.cold);

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

interface Row {
  name: string;
  runs: number;
  median: number;
  p95: number;
}

function row(name: string, samples: number[]): Row {
  return { name, runs: samples.length, median: percentile(samples, 50), p95: percentile(samples, 95) };
}

async function time(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** One fresh, equally hardened container per execution: what a bot without sessions does. */
async function naiveRun(docker: Dockerode, image: string, code: string): Promise<void> {
  const limits = loadConfig().sandbox.limits;
  const spec = containerSpec({
    image,
    name: `cib-bench-naive-${randomUUID().slice(0, 8)}`,
    scope: "bench",
    sessionKey: "naive",
    limits,
    createdAt: new Date(),
    sandboxUid: DEFAULT_UID_RANGE.first,
  });
  // No supervisor here: the code itself runs, as an unprivileged user like a session's code.
  spec.Cmd = ["python3", "-c", code];
  spec.User = `${DEFAULT_UID_RANGE.first}:${DEFAULT_UID_RANGE.first}`;
  spec.OpenStdin = false;
  spec.AttachStdin = false;
  const container = await docker.createContainer(spec);
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    docker.modem.demuxStream(stream, out, new PassThrough());
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    if (exit.StatusCode !== 0) throw new Error(`naive run exited with ${exit.StatusCode}`);
    if (Buffer.concat(chunks).length === 0) throw new Error("naive run printed nothing");
  } finally {
    await container.remove({ force: true });
  }
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
  const logger = createLogger({ level: config.logLevel });
  const docker = createDocker(config);
  const manager = await openSandbox(config, { scope: "bench", logger, docker });
  const image =
    config.sandbox.image ?? (await docker.getImage("code-interpreter-bot-sandbox:latest").inspect()).Id;
  const rows: Row[] = [];
  const log = (line: string) => process.stderr.write(`${line}\n`);

  try {
    log(`(a) warm print(1) x${warmRuns}`);
    const warm = await manager.acquire(`bench-warm-${randomUUID()}`);
    await warm.execute("print(1)");
    const warmPrint: number[] = [];
    for (let i = 0; i < warmRuns; i += 1) {
      warmPrint.push(
        await time(async () => {
          const run = await warm.execute("print(1)");
          if (run.stdout !== "1\n") throw new Error(`unexpected output ${run.stdout}`);
        }),
      );
    }
    rows.push(row("(a) print(1), warm session", warmPrint));

    const warmPlot: number[] = [];
    for (let i = 0; i < Math.max(20, Math.floor(warmRuns / 10)); i += 1) {
      warmPlot.push(
        await time(async () => {
          const run = await warm.execute(PLOT_CODE);
          if (run.images.length !== 1) throw new Error("no plot");
        }),
      );
    }
    rows.push(row("plot PNG, warm session", warmPlot));
    await warm.close();

    log(`(b) new session to first print(1) x${coldRuns}`);
    const coldPrint: number[] = [];
    for (let i = 0; i < coldRuns; i += 1) {
      const session = await manager.acquire(`bench-cold-${randomUUID()}`);
      coldPrint.push(
        await time(async () => {
          if ((await session.execute("print(1)")).stdout !== "1\n") throw new Error("bad output");
        }),
      );
      await session.close();
    }
    rows.push(row("(b) new session to first print(1)", coldPrint));

    log(`(c) new session to first plot x${coldRuns}`);
    const coldPlot: number[] = [];
    for (let i = 0; i < coldRuns; i += 1) {
      const session = await manager.acquire(`bench-cold-plot-${randomUUID()}`);
      coldPlot.push(
        await time(async () => {
          if ((await session.execute(PLOT_CODE)).images.length !== 1) throw new Error("no plot");
        }),
      );
      await session.close();
    }
    rows.push(row("(c) new session to first plot PNG", coldPlot));

    log(`(d) naive docker run per execution x${coldRuns}`);
    const naivePrint: number[] = [];
    const naivePlot: number[] = [];
    for (let i = 0; i < coldRuns; i += 1) {
      naivePrint.push(await time(() => naiveRun(docker, image, "print(1)")));
      naivePlot.push(await time(() => naiveRun(docker, image, NAIVE_PLOT_CODE)));
    }
    rows.push(row("(d) naive: docker run per execution, print(1)", naivePrint));
    rows.push(row("(d) naive: docker run per execution, plot PNG", naivePlot));
  } finally {
    for (const container of await manager.list()) await manager.runtime.remove(container.id);
  }

  const med = (name: string) => rows.find((r) => r.name.startsWith(name))?.median ?? Number.NaN;
  const ratios = [
    `naive print(1) / warm print(1): ${(med("(d) naive: docker run per execution, print") / med("(a)")).toFixed(0)}x`,
    `naive plot / warm-session plot: ${(med("(d) naive: docker run per execution, plot") / med("plot PNG, warm")).toFixed(1)}x`,
    `naive print(1) / new session to first print(1): ${(med("(d) naive: docker run per execution, print") / med("(b)")).toFixed(2)}x`,
    `naive plot / new session to first plot: ${(med("(d) naive: docker run per execution, plot") / med("(c)")).toFixed(2)}x`,
  ];
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const dockerVersion = (await docker.version()).Version;
  const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, Docker ${dockerVersion}`;
  const table = [
    "| measurement | runs | median (ms) | p95 (ms) |",
    "|---|---:|---:|---:|",
    ...rows.map((r) => `| ${r.name} | ${r.runs} | ${r.median.toFixed(2)} | ${r.p95.toFixed(2)} |`),
  ].join("\n");
  const report = `Machine: ${machine}\n\n${table}\n\nRatios (medians):\n${ratios.map((r) => `- ${r}`).join("\n")}\n`;
  process.stdout.write(`\n${report}`);
  if (values.write) {
    await writeFile(
      "BENCHMARKS.md",
      `# Benchmarks\n\nMeasured with \`npm run bench -- --write\` on ${new Date().toISOString().slice(0, 10)}, one run ` +
        "(machines here are noisy: compare ratios within one run, not figures across runs).\n\n" +
        `${report}\nThe naive approach starts one equally hardened container per execution (\`docker run --rm\` through ` +
        "the API), so it pays container start-up and Python imports every time and keeps no state.\n",
    );
  }
}

await main();
