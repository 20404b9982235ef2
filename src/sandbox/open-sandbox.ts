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
  // Several engines (SANDBOX_DOCKER_HOSTS): each gets the image; one that does not answer now is
  // left to the probes, and is used once it does.
  const hosts =
    config.dockerHosts.length > 1 && !options.docker
      ? config.dockerHosts.map(({ name, connection }) => ({ name, docker: new Dockerode(connection) }))
      : [];
  const [first, ...others] =
    hosts.length > 0 ? await answering(hosts, options.logger) : [await answered(docker)];
  // Every engine gets the image; the tag is content-addressed, so each build names the same one.
  const image = config.sandbox.image ?? (await buildImageOn(first, config, options));
  if (!config.sandbox.image) for (const engine of others) await buildImageOn(engine, config, options);
  const manager = new SandboxManager({
    docker,
    ...(hosts.length > 0 ? { hosts } : {}),
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
  manager.hosts?.startProbing();
  return manager;
}

/** The one engine, once it answers a ping (or a start-up failure saying what to do). */
async function answered(docker: Dockerode): Promise<Dockerode> {
  try {
    await docker.ping();
  } catch (error) {
    throw explainDockerError(error);
  }
  return docker;
}

/** The engines that answer a ping, at least one; none is a start-up failure naming the first's problem. */
async function answering(
  hosts: Array<{ name: string; docker: Dockerode }>,
  logger: Logger,
): Promise<[Dockerode, ...Dockerode[]]> {
  const pinged = await Promise.allSettled(hosts.map(({ docker }) => docker.ping()));
  const up: Dockerode[] = [];
  pinged.forEach((result, index) => {
    const host = hosts[index];
    if (!host) return;
    if (result.status === "fulfilled") up.push(host.docker);
    else
      logger.warn(
        { err: result.reason, host: host.name },
        "Docker engine does not answer; it is used once it does",
      );
  });
  const [first, ...others] = up;
  if (first) return [first, ...others];
  const failed = pinged.find((result): result is PromiseRejectedResult => result.status === "rejected");
  throw explainDockerError(failed?.reason);
}

/** The current build of the sandbox image on one engine, made there if missing. */
async function buildImageOn(docker: Dockerode, config: Config, options: OpenSandboxOptions): Promise<string> {
  const built = await ensureSandboxImage({
    docker,
    contextDir: SANDBOX_CONTEXT_DIR,
    repository: DEFAULT_SANDBOX_REPOSITORY,
    logger: options.logger,
    debianMirror: config.sandbox.debianMirror,
    ...(options.onBuildProgress ? { onProgress: options.onBuildProgress } : {}),
  });
  return built.ref;
}
