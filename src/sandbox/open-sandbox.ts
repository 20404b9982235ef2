/**
 * Composition for everything that needs sandboxes (the bot, the CLI, the benchmark):
 * connect to Docker, make sure the image exists, and return a session manager.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import Dockerode from "dockerode";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { explainDockerError } from "./docker-errors.ts";
import { ensureSandboxImage } from "./image-builder.ts";
import { DEFAULT_SANDBOX_REPOSITORY } from "./image-tag.ts";
import { SandboxManager, type SandboxManagerOptions } from "./session-manager.ts";

export const SANDBOX_CONTEXT_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../sandbox-image",
);

export function createDocker(config: Config): Dockerode {
  return new Dockerode(config.docker);
}

export interface OpenSandboxOptions {
  scope: string;
  logger: Logger;
  /** Receives build output when the image has to be built first. */
  onBuildProgress?: (line: string) => void;
  docker?: Dockerode;
  /** Overrides SANDBOX_POOL_SIZE: a one-shot CLI command has no use for warm containers. */
  poolSize?: number;
  /** With replicas on a shared store: this process's id and who is alive (session-manager.ts). */
  replicas?: SandboxManagerOptions["replicas"];
}

export async function openSandbox(config: Config, options: OpenSandboxOptions): Promise<SandboxManager> {
  const docker = options.docker ?? createDocker(config);
  try {
    await docker.ping();
  } catch (error) {
    throw explainDockerError(error);
  }
  const image =
    config.sandbox.image ??
    (
      await ensureSandboxImage({
        docker,
        contextDir: SANDBOX_CONTEXT_DIR,
        repository: DEFAULT_SANDBOX_REPOSITORY,
        logger: options.logger,
        debianMirror: config.sandbox.debianMirror,
        ...(options.onBuildProgress ? { onProgress: options.onBuildProgress } : {}),
      })
    ).ref;
  const manager = new SandboxManager({
    docker,
    image,
    limits: config.sandbox.limits,
    runtime: config.sandbox.runtime,
    logger: options.logger,
    scope: options.scope,
    idleTimeoutMs: config.sandbox.idleTimeoutMs,
    maxLive: config.sandbox.maxLive,
    maxRunning: config.sandbox.maxRunning,
    poolSize: options.poolSize ?? config.sandbox.poolSize,
    keptFilesDir: config.sandbox.keptFilesDir,
    keptFilesRetentionMs: config.sandbox.retentionMs,
    ...(options.replicas ? { replicas: options.replicas } : {}),
  });
  // At start-up, not when the first conversation's container fails to start.
  try {
    await manager.runtime.checkEngine();
  } catch (error) {
    await manager.shutdown();
    throw error;
  }
  return manager;
}
