/**
 * Composition for everything that needs sandboxes (the bot, the CLI, the benchmark):
 * connect to Docker (or a Kubernetes API server), make sure the image exists, and return a
 * session manager.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import Dockerode from "dockerode";
import type { Config } from "../config.ts";
import { FatalError } from "../errors.ts";
import type { KubernetesConfig } from "../kubernetes-config.ts";
import type { Logger } from "../logger.ts";
import { explainDockerError } from "./docker-errors.ts";
import { ensureSandboxImage } from "./image-builder.ts";
import { DEFAULT_SANDBOX_REPOSITORY } from "./image-tag.ts";
import { loadKubeConfig } from "./kubernetes/kube-config.ts";
import { KubePods } from "./kubernetes/kube-pods.ts";
import { KubernetesRuntime } from "./kubernetes/kubernetes-runtime.ts";
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
  if (config.kubernetes && !options.docker) return openKubernetesSandbox(config, config.kubernetes, options);
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
    ...managerOptions(config, options, image),
    docker,
    ...(hosts.length > 0 ? { hosts } : {}),
    runtime: config.sandbox.runtime,
  });
  await checkOrShutDown(manager);
  manager.hosts?.startProbing();
  return manager;
}

/** Sandboxes as pods: nothing to build (nodes pull SANDBOX_IMAGE), only the API to reach. */
async function openKubernetesSandbox(
  config: Config,
  kubernetes: KubernetesConfig,
  options: OpenSandboxOptions,
): Promise<SandboxManager> {
  const image = config.sandbox.image;
  if (!image)
    throw new FatalError("sandbox_image_missing", "SANDBOX_BACKEND=kubernetes needs SANDBOX_IMAGE.");
  const runtime = new KubernetesRuntime({
    pods: new KubePods({
      kubeConfig: loadKubeConfig(kubernetes),
      namespace: kubernetes.namespace,
      logger: options.logger,
    }),
    image,
    limits: config.sandbox.limits,
    scope: options.scope,
    logger: options.logger,
    ...(options.replicas ? { owner: options.replicas.id } : {}),
    ...(kubernetes.runtimeClassName ? { runtimeClassName: kubernetes.runtimeClassName } : {}),
    ...(kubernetes.userNamespaces ? { userNamespace: true } : {}),
  });
  const manager = new SandboxManager({ ...managerOptions(config, options, image), sandboxRuntime: runtime });
  await checkOrShutDown(manager);
  return manager;
}

function managerOptions(config: Config, options: OpenSandboxOptions, image: string): SandboxManagerOptions {
  return {
    image,
    limits: config.sandbox.limits,
    logger: options.logger,
    scope: options.scope,
    idleTimeoutMs: config.sandbox.idleTimeoutMs,
    maxLive: config.sandbox.maxLive,
    maxRunning: config.sandbox.maxRunning,
    poolSize: options.poolSize ?? config.sandbox.poolSize,
    keptFilesDir: config.sandbox.keptFilesDir,
    keptFilesRetentionMs: config.sandbox.retentionMs,
    ...(options.replicas ? { replicas: options.replicas } : {}),
  };
}

/** At start-up, not when the first conversation's sandbox fails to start. */
async function checkOrShutDown(manager: SandboxManager): Promise<void> {
  try {
    await manager.runtime.checkEngine();
  } catch (error) {
    await manager.shutdown();
    throw error;
  }
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
