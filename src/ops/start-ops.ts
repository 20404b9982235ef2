/**
 * Wires the operators' endpoint for the long-running bot (main.ts): metrics that observe the
 * bot and read the sandbox's admission, and readiness over the store, Docker and the sandbox
 * image (or the Kubernetes API server) and each adapter that can tell whether it is connected.
 */
import type { ModelObserver } from "../agent/model-observer.ts";
import type { ChatAdapter } from "../bot/adapter.ts";
import type { BotObserver } from "../bot/bot-observer.ts";
import type { OpsConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { AdmissionObserver } from "../sandbox/sandbox-admission.ts";
import type { Store } from "../store/types.ts";
import { BotMetrics, type SandboxCounts } from "./metrics.ts";
import { type OpsServer, startOpsServer } from "./ops-server.ts";
import { checkReadiness, type ReadinessCheck } from "./readiness.ts";
import {
  adapterChecks,
  type DockerHostsProbe,
  type DockerProbe,
  dockerCheck,
  dockerHostsCheck,
  type KubernetesProbe,
  kubernetesCheck,
  sandboxImageCheck,
  storeCheck,
} from "./readiness-checks.ts";
import { dockerHostsGauge } from "./sandbox-metrics.ts";

export interface OpsParts {
  config: OpsConfig;
  bot: { observe(observer: BotObserver): void };
  store: Pick<Store, "ping">;
  docker: DockerProbe;
  /** With several engines (SANDBOX_DOCKER_HOSTS): checked instead of `docker` and the image on it. */
  dockerHosts?: DockerHostsProbe | null;
  /** With SANDBOX_BACKEND=kubernetes: the API server is checked instead of Docker. */
  kubernetes?: KubernetesProbe | null;
  /** The image new sandboxes start from (the sandbox manager's). */
  sandboxImage: string;
  sandboxCounts: () => SandboxCounts;
  /** The model client, whose every attempt the metrics count; null when none is configured. */
  model?: { observe?(observer: ModelObserver): void } | null;
  /** Tells the metrics how long requests wait and containers take to open; absent on a fake sandbox. */
  admission?: { observe(observer: AdmissionObserver): void };
  /** Checked when they implement ready(); started or not, so /readyz says which is still connecting. */
  adapters: readonly ChatAdapter[];
  logger: Logger;
}

export interface RunningOps extends OpsServer {
  /** From now on /readyz says the bot is stopping, so traffic moves away while requests finish. */
  draining(): void;
}

/** Where sandboxes run, asked the way that backend can answer. */
function sandboxChecks(parts: OpsParts): ReadinessCheck[] {
  if (parts.kubernetes) return [kubernetesCheck(parts.kubernetes)];
  if (parts.dockerHosts) return [dockerHostsCheck(parts.dockerHosts)];
  return [dockerCheck(parts.docker), sandboxImageCheck(parts.docker, parts.sandboxImage)];
}

export async function startOps(parts: OpsParts): Promise<RunningOps> {
  const metrics = new BotMetrics({
    sandbox: parts.sandboxCounts,
    platforms: parts.adapters.map((adapter) => adapter.platform),
    defaultMetrics: true,
  });
  parts.bot.observe(metrics);
  const { dockerHosts } = parts;
  if (dockerHosts) dockerHostsGauge(metrics.registry, () => dockerHosts.hosts());
  if (metrics.sandbox) parts.admission?.observe(metrics.sandbox);
  parts.model?.observe?.(metrics.model);
  for (const adapter of parts.adapters) adapter.observe?.(metrics.platforms);
  let stopping = false;
  const checks: ReadinessCheck[] = [
    {
      part: "bot",
      check: async () => {
        if (stopping) throw new Error("the bot is stopping: requests in progress are finishing");
      },
    },
    storeCheck(parts.store),
    ...sandboxChecks(parts),
    ...adapterChecks(parts.adapters),
  ];
  const server = await startOpsServer({
    host: parts.config.host,
    port: parts.config.port,
    readiness: () => checkReadiness(checks),
    metrics: () => metrics.expose(),
    logger: parts.logger,
  });
  return {
    url: server.url,
    close: () => server.close(),
    draining: () => {
      stopping = true;
    },
  };
}
