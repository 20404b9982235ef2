/**
 * Sandbox fixtures for integration tests: the real Docker engine and the real image
 * (built on first use), with small limits so that limit tests finish quickly.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Dockerode from "dockerode";
import { loadConfig } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import { ensureSandboxImage } from "../../src/sandbox/image-builder.ts";
import { DEFAULT_SANDBOX_REPOSITORY } from "../../src/sandbox/image-tag.ts";
import { DEFAULT_LIMITS, type SandboxLimits } from "../../src/sandbox/limits.ts";
import { SANDBOX_CONTEXT_DIR } from "../../src/sandbox/open-sandbox.ts";
import { SandboxManager, type SandboxManagerOptions } from "../../src/sandbox/session-manager.ts";

export const TEST_LIMITS: SandboxLimits = {
  ...DEFAULT_LIMITS,
  memoryMb: 384,
  dataMb: 64,
  tmpMb: 32,
  shmMb: 16,
  pids: 64,
  executionTimeoutMs: 4_000,
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
