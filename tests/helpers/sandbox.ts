/**
 * Sandbox fixtures for integration tests: the real Docker engine and the real image
 * (built on first use), with small limits so that limit tests finish quickly. The OCI runtime
 * is the one SANDBOX_RUNTIME names, read as the bot reads it, so
 * `SANDBOX_RUNTIME=runsc npm run test:runsc` runs every sandbox test under gVisor.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Dockerode from "dockerode";
import { vi } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import { ensureSandboxImage } from "../../src/sandbox/image-builder.ts";
import { DEFAULT_SANDBOX_REPOSITORY } from "../../src/sandbox/image-tag.ts";
import { DEFAULT_LIMITS, type SandboxLimits } from "../../src/sandbox/limits.ts";
import type { OciRuntime } from "../../src/sandbox/oci-runtime.ts";
import { SANDBOX_CONTEXT_DIR } from "../../src/sandbox/open-sandbox.ts";
import { SandboxManager, type SandboxManagerOptions } from "../../src/sandbox/session-manager.ts";

/** The OCI runtime the sandbox tests run under: SANDBOX_RUNTIME, or runc. */
export function testRuntime(): OciRuntime {
  return loadConfig().sandbox.runtime;
}

/**
 * How much longer things take under gVisor on this kind of machine, for deadlines that are test
 * parameters: on the ptrace platform every system call is a round trip through the Sentry, so
 * Python's import of the data stack takes 8-10 s on a loaded 2-core machine against 2 s under runc.
 */
export const RUNTIME_SLOWDOWN = testRuntime() === "runsc" ? 4 : 1;

/** A test's own time limit, with the runtime's headroom. */
export function testTimeout(ms: number): number {
  return ms * RUNTIME_SLOWDOWN;
}

if (RUNTIME_SLOWDOWN > 1) {
  // The defaults of vitest.config.ts, with the same headroom, for every file that uses sandboxes.
  vi.setConfig({ testTimeout: testTimeout(60_000), hookTimeout: testTimeout(180_000) });
}

/** TEST_LIMITS' run deadline for sandboxes under runsc (see executionTimeoutMs below). */
export const RUNSC_EXECUTION_TIMEOUT_MS = 20_000;

export const TEST_LIMITS: SandboxLimits = {
  ...DEFAULT_LIMITS,
  memoryMb: 384,
  dataMb: 64,
  tmpMb: 32,
  shmMb: 16,
  pids: 64,
  // Under runsc every system call goes through gVisor's Sentry (4-5x slower on this kind of
  // machine, BENCHMARKS.md), so what a test expects to finish takes seconds more than under runc.
  executionTimeoutMs: testRuntime() === "runsc" ? RUNSC_EXECUTION_TIMEOUT_MS : 4_000,
  interruptGraceMs: 1_500,
  outputLimitBytes: 256 * 1024,
};

let imagePromise: Promise<string> | undefined;

export function sandboxImage(): Promise<string> {
  imagePromise ??= (async () => {
    const config = loadConfig();
    if (config.sandbox.image) return config.sandbox.image;
    const image = await ensureSandboxImage({
      docker: new Dockerode(config.docker),
      contextDir: SANDBOX_CONTEXT_DIR,
      repository: DEFAULT_SANDBOX_REPOSITORY,
      logger: silentLogger(),
    });
    return image.ref;
  })();
  return imagePromise;
}

export function testDocker(): Dockerode {
  return new Dockerode(loadConfig().docker);
}

export interface TestSandbox {
  manager: SandboxManager;
  scope: string;
  /** Removes every container this fixture's scope created. */
  cleanup: () => Promise<void>;
}

export async function createTestSandbox(
  limits: Partial<SandboxLimits> = {},
  scope?: string,
  logger: Logger = silentLogger(),
  extra: Pick<
    SandboxManagerOptions,
    | "keptFilesDir"
    | "keptFilesRetentionMs"
    | "now"
    | "idleTimeoutMs"
    | "maxLive"
    | "maxRunning"
    | "poolSize"
    | "runtime"
  > & { image?: string } = {},
): Promise<TestSandbox> {
  const docker = testDocker();
  const image = extra.image ?? (await sandboxImage());
  const actualScope = scope ?? `test-${randomUUID().slice(0, 8)}`;
  const manager = new SandboxManager({
    docker,
    image,
    limits: { ...TEST_LIMITS, ...limits },
    logger,
    runtime: testRuntime(),
    ...extra,
    scope: actualScope,
  });
  return {
    manager,
    scope: actualScope,
    cleanup: async () => {
      await manager.shutdown();
      for (const container of await manager.list()) await manager.runtime.remove(container.id);
    },
  };
}

/**
 * Builds an image that differs from `base` only by a label and tags it `ref`: a stand-in for a
 * rebuilt sandbox image, made without a registry.
 */
export async function buildVariantImage(docker: Dockerode, base: string, ref: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "cib-variant-"));
  try {
    await writeFile(
      path.join(dir, "Dockerfile"),
      `FROM ${base}\nLABEL code-interpreter-bot.test-variant=${randomUUID()}\n`,
    );
    const stream = await docker.buildImage({ context: dir, src: ["Dockerfile"] }, { t: ref });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
        const failed = output?.find((line) => line.error);
        if (error || failed) reject(error ?? new Error(failed?.error));
        else resolve();
      }),
    );
    return (await docker.getImage(ref).inspect()).Id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
