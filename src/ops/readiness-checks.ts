/**
 * The parts /readyz checks, each as small as the question it asks: can the store take a write,
 * does Docker answer, is the sandbox image there, is each chat platform connected. Their
 * failures are worded for the operator who reads them (explainDockerError says what to do).
 */
import type { ChatAdapter } from "../bot/adapter.ts";
import { explainDockerError } from "../sandbox/docker-errors.ts";
import type { Store } from "../store/types.ts";
import type { ReadinessCheck } from "./readiness.ts";

/** What readiness needs of Docker; Dockerode has it, and a test can pass a plain object. */
export interface DockerProbe {
  ping(): Promise<unknown>;
  getImage(ref: string): { inspect(): Promise<unknown> };
}

export function storeCheck(store: Pick<Store, "ping">): ReadinessCheck {
  return { part: "store", check: () => store.ping() };
}

export function dockerCheck(docker: DockerProbe): ReadinessCheck {
  return {
    part: "docker",
    check: async () => {
      try {
        await docker.ping();
      } catch (error) {
        throw explainDockerError(error);
      }
    },
  };
}

/** What readiness needs of several engines (SANDBOX_DOCKER_HOSTS); DockerHosts has it. */
export interface DockerHostsProbe {
  probe(): Promise<void>;
  hosts(): Array<{ name: string; up: boolean; reason: string | null }>;
}

/**
 * With several engines the bot is ready while one answers: sandboxes go to those that do. The
 * ones down are named in the failure when none answers, and in the log when each went down.
 */
export function dockerHostsCheck(engines: DockerHostsProbe): ReadinessCheck {
  return {
    part: "docker",
    check: async () => {
      await engines.probe();
      const hosts = engines.hosts();
      if (hosts.some((host) => host.up)) return;
      throw new Error(
        `no Docker engine answers: ${hosts.map((host) => host.reason ?? host.name).join("; ")}`,
      );
    },
  };
}

/** What readiness needs of the Kubernetes backend; KubernetesRuntime has it. */
export interface KubernetesProbe {
  /** Lists the sandbox pods: the API server answers and the bot's role lets it. */
  checkEngine(): Promise<unknown>;
}

/**
 * Sandboxes as pods: ready while the API server answers and lets the bot list pods. Whether a
 * node can pull the image shows only when a pod starts (its error names the kubelet's reason).
 */
export function kubernetesCheck(kubernetes: KubernetesProbe): ReadinessCheck {
  return { part: "kubernetes", check: async () => void (await kubernetes.checkEngine()) };
}

/** Someone may remove the image under a running bot; new sandboxes could not start then. */
export function sandboxImageCheck(docker: DockerProbe, ref: string): ReadinessCheck {
  return {
    part: "sandbox-image",
    check: async () => {
      try {
        await docker.getImage(ref).inspect();
      } catch (error) {
        throw explainDockerError(error, ref);
      }
    },
  };
}

/** One check per adapter that can tell whether it is connected; the others are left out. */
export function adapterChecks(adapters: readonly ChatAdapter[]): ReadinessCheck[] {
  return adapters.flatMap((adapter) => {
    const ready = adapter.ready?.bind(adapter);
    if (!ready) return [];
    return [
      {
        part: `adapter:${adapter.platform}`,
        check: async () => {
          if (!ready()) throw new Error(`${adapter.platform} is not connected`);
        },
      },
    ];
  });
}
