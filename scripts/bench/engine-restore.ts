/**
 * (j) A conversation whose Docker engine fails (SANDBOX_DOCKER_HOSTS with two engines): its
 * sandbox ran on engine B with 20 files (5 MiB) in /mnt/data, kept on the host after each run; B
 * stops, and the conversation's next run starts a container on engine A and puts the files back.
 * Timed against a new conversation's first print(1) on A without the pool, in the same manager.
 * B is a second dockerd on this machine (tests/helpers/extra-engine.ts), which needs root and
 * nsenter; without them the measurement is skipped, saying why.
 */
import { randomUUID } from "node:crypto";
import { access, constants, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Dockerode from "dockerode";
import type { Logger } from "../../src/logger.ts";
import type { SandboxLimits } from "../../src/sandbox/limits.ts";
import { SandboxManager } from "../../src/sandbox/session-manager.ts";
import { type ExtraEngine, startExtraEngine } from "../../tests/helpers/extra-engine.ts";
import { type Row, row, time } from "./measure.ts";

const FILES = 20;
const FILE_BYTES = 256 * 1024;
const WRITE =
  `import os\nfor i in range(${FILES}):\n    with open(f"/mnt/data/file-{i:02}.bin", "wb") as f:\n` +
  `        f.write(os.urandom(${FILE_BYTES}))\n` +
  `print(sum(os.path.getsize(f"/mnt/data/{n}") for n in os.listdir("/mnt/data")))`;
const COUNT = "import os\nprint(len(os.listdir('/mnt/data')))";

export interface RestoreContext {
  /** Engine A, the bench's own, and its name as SANDBOX_DOCKER_HOSTS would list it. */
  docker: Dockerode;
  engineName: string;
  image: string;
  limits: SandboxLimits;
  logger: Logger;
  samples: number;
  log: (line: string) => void;
}

export type RestoreResult = { restore: Row; fresh: Row; skipped: null } | { skipped: string };

/** Why this machine cannot run a second engine; null when it can. */
async function whyNoSecondEngine(): Promise<string | null> {
  const uid = process.getuid?.();
  if (uid !== 0) return `a second Docker engine needs root, and the bench runs as uid ${uid ?? "unknown"}`;
  for (const tool of ["nsenter", "ip", "dockerd", "docker"]) {
    if (!(await onPath(tool))) return `a second Docker engine needs \`${tool}\`, which is not on PATH`;
  }
  return null;
}

async function onPath(tool: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const found = await access(path.join(dir, tool), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return true;
  }
  return false;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];

export async function measureRestore(context: RestoreContext): Promise<RestoreResult> {
  const missing = await whyNoSecondEngine();
  if (missing) return { skipped: missing };
  const { log } = context;
  log("(j) starting a second Docker engine");
  let engineB: ExtraEngine;
  try {
    engineB = await startExtraEngine(`b${process.pid}`);
  } catch (error) {
    return { skipped: `the second Docker engine did not start: ${firstLine(error)}` };
  }
  const keptFilesDir = await mkdtemp(path.join(tmpdir(), "cib-bench-restore-"));
  let manager: SandboxManager | null = null;
  try {
    log("(j) copying the sandbox image to it (about a minute)");
    await engineB.loadImage(context.image);
    manager = new SandboxManager({
      docker: context.docker,
      // B first: with nothing running on either, a new conversation goes to the first listed.
      hosts: [
        { name: engineB.name, docker: engineB.docker },
        { name: context.engineName, docker: context.docker },
      ],
      image: context.image,
      limits: context.limits,
      // The second engine knows only runc.
      runtime: "runc",
      // B going down is what is measured: its warning each sample would only read like a fault.
      logger: context.logger.child({}, { level: "error" }),
      scope: `bench-restore-${process.pid}`,
      keptFilesDir,
      poolSize: 0,
    });
    await manager.runtime.checkEngine();
    const restore: number[] = [];
    const fresh: number[] = [];
    for (let sample = 0; sample < context.samples; sample += 1) {
      log(`(j) restore on another engine, sample ${sample + 1} of ${context.samples}`);
      if (sample > 0) {
        // B comes back, and is found up (and tidied of the containers it stopped with) by a probe.
        await engineB.start();
        await manager.hosts?.probe();
      }
      const timings = await restoreSample(manager, engineB, context.engineName);
      restore.push(timings.restore);
      fresh.push(timings.fresh);
    }
    return {
      restore: row(
        "(j) next run after its Docker engine stopped: 20 files (5 MiB) restored on the other",
        restore,
      ),
      fresh: row("(j) for comparison: new conversation to first print(1), no pool, same engine", fresh),
      skipped: null,
    };
  } finally {
    if (manager) {
      for (const container of await manager.list().catch(() => [])) {
        await manager.runtime.remove(container.id).catch(() => undefined);
      }
      await manager.shutdown();
    }
    await engineB.destroy();
    await rm(keptFilesDir, { recursive: true, force: true });
  }
}

/** One conversation on B with its files, B stopped, then its next run (on A) and a new one's first. */
async function restoreSample(
  manager: SandboxManager,
  engineB: ExtraEngine,
  engineA: string,
): Promise<{ restore: number; fresh: number }> {
  const key = `bench-restore-${randomUUID()}`;
  const newKey = `bench-restore-new-${randomUUID()}`;
  const hostOf = async (of: string) => (await manager.describe()).find((s) => s.key === of)?.host ?? null;
  try {
    const session = await manager.acquire(key);
    const wrote = await session.execute(WRITE);
    if (wrote.status !== "ok" || wrote.stdout !== `${FILES * FILE_BYTES}\n`) {
      throw new Error(`writing the files failed: ${wrote.status} ${wrote.stdout}${wrote.stderr}`);
    }
    // Runs behind the files' copy out of the container: once it ran, they are all kept.
    await session.execute("pass");
    const startedOn = await hostOf(key);
    if (startedOn !== engineB.name) throw new Error(`the conversation started on ${startedOn}, not on B`);

    await engineB.stop();
    // Not probed first: the run itself finds that B is gone, the slower of the two ways it can learn it.
    const restore = await time(async () => {
      const run = await session.execute(COUNT);
      if (run.stdout !== `${FILES}\n` || run.filesLost) {
        throw new Error(`the files did not come back: ${run.status} ${run.stdout}${run.stderr}`);
      }
    });
    const movedTo = await hostOf(key);
    if (movedTo !== engineA) throw new Error(`the conversation went to ${movedTo}, not to A`);

    const fresh = await manager.acquire(newKey);
    const first = await time(async () => {
      if ((await fresh.execute("print(1)")).stdout !== "1\n") throw new Error("bad output");
    });
    return { restore, fresh: first };
  } finally {
    await manager.close(key).catch(() => undefined);
    await manager.close(newKey).catch(() => undefined);
  }
}
