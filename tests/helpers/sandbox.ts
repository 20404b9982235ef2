/**
 * Sandbox fixtures for integration tests: the real Docker engine and the real image
 * (built on first use), with small limits so that limit tests finish quickly.
 */
import { randomUUID } from "node:crypto";
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
  extra: Pick<SandboxManagerOptions, "keptFilesDir" | "keptFilesRetentionMs" | "now" | "idleTimeoutMs"> = {},
): Promise<TestSandbox> {
  const docker = testDocker();
  const image = await sandboxImage();
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
