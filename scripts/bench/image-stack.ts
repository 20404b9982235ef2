/**
 * "The sandbox image (issue #13)": what the library stack costs. For the current image, and for
 * an older one given with --baseline (the image before a change), side by side: its size, a new
 * conversation's first print(1) with no pool (container start and the kernel's imports), and a
 * pooled container's memory. Then, for the current image only, what each group of the
 * Dockerfile adds to it (its layer), how long a first import of the heavy libraries takes in
 * a running session, which is where the pool's lean imports leave that cost, and what a large
 * Parquet file costs through the kernel's own reader and writer.
 */
import { randomUUID } from "node:crypto";
import type Dockerode from "dockerode";
import type { Config } from "../../src/config.ts";
import type { Logger } from "../../src/logger.ts";
import { openSandbox } from "../../src/sandbox/open-sandbox.ts";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import type { SandboxManager } from "../../src/sandbox/session-manager.ts";
import { percentile, repeat } from "./measure.ts";
import { firstRun, idleMemory, POOL_SIZE, printed } from "./runtime-suite.ts";

export const IMAGE_HEADING = "## The sandbox image (issue #13)";

/** Libraries the pool does not import, timed at their first import in a running session. */
const FIRST_IMPORTS = ["torch", "cv2", "sklearn.ensemble", "xgboost", "geopandas", "fitz", "av"];

export interface ImageContext {
  config: Config;
  docker: Dockerode;
  logger: Logger;
  /** New conversations per image. */
  samples: number;
  /** The image before the change, measured the same way; null measures the current one only. */
  baseline: string | null;
  log: (line: string) => void;
}

interface ImageFigures {
  ref: string;
  sizeMB: number;
  coldMs: number;
  pooledMiB: number;
}

const MB = 1_000_000;

/** A session manager whose sandboxes run `ref`, in a scope of its own so its clean-up touches only them. */
function managerOn(context: ImageContext, ref: string, name: string, poolSize = 0): Promise<SandboxManager> {
  const { config, logger, docker } = context;
  return openSandbox(
    { ...config, sandbox: { ...config.sandbox, image: ref } },
    { scope: `bench-${name}-${randomUUID().slice(0, 8)}`, logger, docker, poolSize },
  );
}

async function removeAll(manager: SandboxManager): Promise<void> {
  await manager.shutdown();
  for (const container of await manager.list()) await manager.runtime.remove(container.id);
}

/** Runs `work` in one new session on `ref`, and removes what it started. */
async function inOneSession<T>(
  context: ImageContext,
  ref: string,
  name: string,
  work: (session: ContainerSession) => Promise<T>,
): Promise<T> {
  const manager = await managerOn(context, ref, name);
  try {
    return await work(await manager.acquire(`bench-${name}-${randomUUID()}`));
  } finally {
    await removeAll(manager);
  }
}

async function measureImage(context: ImageContext, ref: string): Promise<ImageFigures> {
  const sizeMB = (await context.docker.getImage(ref).inspect()).Size / MB;
  const plain = await managerOn(context, ref, "image");
  const pooled = await managerOn(context, ref, "image-pool", POOL_SIZE);
  try {
    context.log(`[${ref}] new conversation to first print(1), no pool x${context.samples}`);
    const cold = await repeat(context.samples, () => firstRun(plain, "print(1)", printed));
    await pooled.startPool();
    const memory = await idleMemory(pooled, context.docker);
    const pooledRow = memory.find((entry) => entry.name.startsWith("(f) pooled"));
    return { ref, sizeMB, coldMs: percentile(cold, 50), pooledMiB: pooledRow?.median ?? Number.NaN };
  } finally {
    await removeAll(plain);
    await removeAll(pooled);
  }
}

/** Each `apt-install.sh` layer of the image: its first packages and its size. */
async function groupLayers(
  docker: Dockerode,
  ref: string,
): Promise<Array<{ group: string; sizeMB: number }>> {
  const history = (await docker.getImage(ref).history()) as Array<{ CreatedBy: string; Size: number }>;
  return history
    .filter((layer) => layer.CreatedBy.includes("apt-install.sh "))
    .reverse()
    .map((layer) => {
      const packages = (layer.CreatedBy.split("apt-install.sh ")[1] ?? "").trim().split(/\s+/);
      const shown =
        packages.slice(0, 4).join(" ") + (packages.length > 4 ? ` (+${packages.length - 4})` : "");
      return { group: shown, sizeMB: layer.Size / MB };
    });
}

function firstImports(context: ImageContext, ref: string): Promise<Array<[string, number]>> {
  return inOneSession(context, ref, "imports", async (session) => {
    const timings: Array<[string, number]> = [];
    for (const name of FIRST_IMPORTS) {
      context.log(`[${ref}] first import of ${name} x${context.samples}`);
      const samples = await repeat(context.samples, async () => {
        // A fresh Python each time, as a conversation's first use of the library would find it.
        await session.reset(false);
        const run = await session.execute(
          `import time\nstarted = time.perf_counter()\nimport ${name}\nprint((time.perf_counter() - started) * 1000)`,
          { timeoutMs: 120_000 },
        );
        const ms = Number(run.stdout.trim());
        if (run.status !== "ok" || !Number.isFinite(ms))
          throw new Error(`import ${name}: ${run.status} ${run.stderr}`);
        return ms;
      });
      timings.push([name, percentile(samples, 50)]);
    }
    return timings;
  });
}

/** pd.read_parquet and to_parquet go through the kernel's pure-Python cib_parquet: what a large file costs. */
const PARQUET_CODE = [
  "import time, numpy as np, pandas as pd",
  "rows = 1_000_000",
  "frame = pd.DataFrame({'id': np.arange(rows), 'value': np.random.default_rng(0).random(rows),",
  "    'region': np.random.default_rng(1).choice(['north', 'south', 'east', 'west'], rows),",
  "    'note': [f'row {i}' for i in range(rows)]})",
  "started = time.perf_counter(); frame.to_parquet('bench.parquet'); wrote = time.perf_counter() - started",
  "started = time.perf_counter(); back = pd.read_parquet('bench.parquet'); read = time.perf_counter() - started",
  "assert back.equals(frame)",
  "import os; print(wrote * 1000, read * 1000, os.path.getsize('bench.parquet'))",
].join("\n");

function parquetTimes(
  context: ImageContext,
  ref: string,
): Promise<{ writeMs: number; readMs: number; bytes: number }> {
  return inOneSession(context, ref, "parquet", async (session) => {
    context.log(`[${ref}] Parquet, 1,000,000 rows x${context.samples}`);
    const samples: number[][] = [];
    for (let i = 0; i < context.samples; i += 1) {
      const run = await session.execute(PARQUET_CODE, { timeoutMs: 300_000 });
      const figures = run.stdout.trim().split(" ").map(Number);
      if (run.status !== "ok" || figures.length !== 3 || !figures.every(Number.isFinite))
        throw new Error(`Parquet: ${run.status} ${run.stderr} ${JSON.stringify(run.error)}`);
      samples.push(figures);
    }
    return {
      writeMs: percentile(
        samples.map(([writeMs]) => writeMs ?? Number.NaN),
        50,
      ),
      readMs: percentile(
        samples.map(([, readMs]) => readMs ?? Number.NaN),
        50,
      ),
      bytes: samples[0]?.[2] ?? Number.NaN,
    };
  });
}

export async function currentImage(config: Config, docker: Dockerode, logger: Logger): Promise<string> {
  const manager = await openSandbox(config, { scope: "bench-image-ref", logger, docker, poolSize: 0 });
  await manager.shutdown();
  return manager.runtime.image;
}

/** Runs the measurements and returns the section, heading included. */
export async function imageSection(context: ImageContext, current: string): Promise<string> {
  const refs = context.baseline ? [context.baseline, current] : [current];
  const figures: ImageFigures[] = [];
  for (const ref of refs) figures.push(await measureImage(context, ref));
  const layers = await groupLayers(context.docker, current);
  const imports = await firstImports(context, current);
  const parquet = await parquetTimes(context, current);
  const fixed = (value: number, digits = 0) => value.toFixed(digits);
  const table = [
    "| image | size (MB) | new conversation to first print(1), no pool (ms, median) | pooled container, warm and waiting (MiB, median) |",
    "| --- | ---: | ---: | ---: |",
    ...figures.map(
      (f) => `| ${f.ref} | ${fixed(f.sizeMB)} | ${fixed(f.coldMs)} | ${fixed(f.pooledMiB, 1)} |`,
    ),
  ];
  const [before, after] = figures;
  const change =
    before && after
      ? [
          `Change: size ${fixed(after.sizeMB - before.sizeMB)} MB (${fixed(after.sizeMB / before.sizeMB, 2)}x), ` +
            `cold start ${fixed(after.coldMs / before.coldMs, 2)}x, pooled memory ${fixed(after.pooledMiB / before.pooledMiB, 2)}x.`,
        ]
      : [];
  return [
    IMAGE_HEADING,
    `Measured with \`npm run bench -- --only image${context.baseline ? ` --baseline ${context.baseline}` : ""}\`, ` +
      `${context.samples} new conversations per image, runc.`,
    table.join("\n"),
    ...change,
    [
      "What each group of sandbox-image/Dockerfile adds (its layer, in build order; packages an earlier layer installed are not counted again):",
      ...layers.map((layer) => `- ${layer.group}: ${fixed(layer.sizeMB)} MB`),
    ].join("\n"),
    [
      "First import in a running session (ms, median), which the pool leaves to the first request that needs it:",
      ...imports.map(([name, ms]) => `- ${name}: ${fixed(ms)}`),
    ].join("\n"),
    `Parquet without pyarrow (the kernel's pure-Python cib_parquet behind pandas), 1,000,000 rows of an integer, ` +
      `a float, a four-value text column and a distinct text per row, snappy: to_parquet ${fixed(parquet.writeMs)} ms, ` +
      `read_parquet ${fixed(parquet.readMs)} ms (medians), ${fixed(parquet.bytes / MB, 1)} MB on disk.`,
  ].join("\n\n");
}
