/**
 * Sandboxes as Kubernetes pods (SANDBOX_BACKEND=kubernetes), behind the face admission, the pool
 * and the sessions already use for Docker. What differs from Docker, and how it is met:
 *  - A pod cannot be renamed, so a warm pod is claimed by labelling it with the conversation's
 *    session (label: a hash; annotation: the key), and a conversation's pod is found by that
 *    label, not by its name.
 *  - An attach can only join a running container: the supervisor's `ready` line has usually gone
 *    by, so the bot asks (pings) until Python is idle.
 *  - Nodes pull images by reference: the configured image (best pinned by digest) is what a pod
 *    must run to be current; there is no image id to compare and nothing to build.
 */
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../../logger.ts";
import type { AttachedContainer, SandboxContainerInfo } from "../container-runtime.ts";
import { LABEL_APP, LABEL_OWNER, LABEL_SCOPE, LABEL_SESSION, LABEL_UID } from "../container-spec.ts";
import type { SandboxLimits } from "../limits.ts";
import type { SandboxRuntime } from "../sandbox-runtime.ts";
import { DEFAULT_UID_RANGE, pickSandboxUid, REMAPPED_UID_RANGE } from "../sandbox-uid.ts";
import { SupervisorClient } from "../supervisor-client.ts";
import { settleAdopted, untilIdle } from "../supervisor-settling.ts";
import { readImageFileInPod } from "./image-read-pod.ts";
import type { KubePods } from "./kube-pods.ts";
import {
  ANNOTATION_CREATED,
  ANNOTATION_SESSION,
  kubeLabelValue,
  SANDBOX_CONTAINER,
  sandboxPod,
  sandboxPodName,
  sandboxPodPrefix,
  sessionLabelValue,
} from "./pod-spec.ts";

export interface KubernetesRuntimeOptions {
  pods: KubePods;
  /** A reference every node can pull. */
  image: string;
  limits: SandboxLimits;
  scope: string;
  logger: Logger;
  /** This bot process's id, on the pods it pools (as in Docker). */
  owner?: string;
  /** e.g. `gvisor`; the cluster's default runtime when absent. */
  runtimeClassName?: string;
  /** `hostUsers: false` (pod-spec.ts): uids then come from the smaller remapped range. */
  userNamespace?: boolean;
  now?: () => Date;
}

export class KubernetesRuntime implements SandboxRuntime {
  /** Uids picked for pods still being created, which a listing cannot show yet. */
  private readonly reservedUids = new Set<number>();

  constructor(private readonly options: KubernetesRuntimeOptions) {}

  get image(): string {
    return this.options.image;
  }

  get namespace(): string {
    return this.options.pods.namespace;
  }

  containerName(sessionKey: string): string {
    return sandboxPodName(this.options.scope, sessionKey);
  }

  get poolPrefix(): string {
    return `${sandboxPodPrefix(this.options.scope)}-pool-`;
  }

  async isCurrentImage(container: Pick<AttachedContainer, "imageId">): Promise<boolean> {
    return container.imageId === this.options.image;
  }

  /** A text file of the image (its library census), printed by a short pod of its own. */
  readImageFile(filePath: string, maxBytes: number): Promise<Buffer> {
    const { pods, image, scope, runtimeClassName } = this.options;
    return readImageFileInPod(pods, {
      image,
      scope,
      filePath,
      maxBytes,
      ...(runtimeClassName ? { runtimeClassName } : {}),
    });
  }

  /** Nothing to look at: the image is the configured reference, and changes with a restart. */
  async refreshImage(): Promise<boolean> {
    return false;
  }

  /**
   * Attaches to the conversation's running pod on the current image. Others of the conversation
   * (stopped, outdated, or a twin two processes made at once) are deleted: null when none is left.
   */
  async adoptExisting(sessionKey: string): Promise<AttachedContainer | null> {
    const found = await this.sessionPods(sessionKey);
    const usable = found.find((pod) => isRunning(pod) && podImage(pod) === this.options.image);
    let adopted: AttachedContainer | null = null;
    if (usable) {
      try {
        adopted = await this.adopt(usable);
      } catch (error) {
        this.options.logger.warn(
          { err: error, pod: podName(usable) },
          "could not adopt sandbox pod; replacing it",
        );
      }
    }
    for (const pod of found) {
      if (adopted && podName(pod) === adopted.name) continue;
      this.options.logger.info({ pod: podName(pod), image: podImage(pod) }, "replacing sandbox pod");
      await this.remove(podName(pod));
    }
    return adopted;
  }

  create(sessionKey: string): Promise<AttachedContainer> {
    return this.createNamed(this.containerName(sessionKey), sessionKey);
  }

  createPooled(): Promise<AttachedContainer> {
    return this.createNamed(`${this.poolPrefix}${randomBytes(6).toString("hex")}`, "");
  }

  /** Labels a warm pod with the conversation, so any process finds it by the session label. */
  async claim(pooled: AttachedContainer, sessionKey: string): Promise<AttachedContainer> {
    await this.options.pods.patchMetadata(pooled.name, {
      labels: { [LABEL_SESSION]: sessionLabelValue(sessionKey) },
      annotations: { [ANNOTATION_SESSION]: sessionKey },
    });
    return pooled;
  }

  /**
   * An attach WebSocket can close while the pod runs on (an API server restarting, or a proxy
   * closing idle connections): the pod, if it still runs on the current image, attached anew.
   */
  async reattach(container: AttachedContainer): Promise<AttachedContainer | null> {
    const pod = await this.options.pods.readPod(container.name);
    if (!pod || !isRunning(pod) || podImage(pod) !== this.options.image) return null;
    return this.adopt(pod);
  }

  /** Whether the pod's container ended because the kernel's OOM killer stopped it; false when unsure. */
  async wasOomKilled(name: string): Promise<boolean> {
    const pod = await this.options.pods.readPod(name).catch(() => null);
    const status = pod?.status?.containerStatuses?.find((s) => s.name === SANDBOX_CONTAINER);
    return (status?.state?.terminated?.reason ?? status?.lastState?.terminated?.reason) === "OOMKilled";
  }

  /** By name (a pod's id for the API is its name); one already gone is fine. */
  remove(name: string): Promise<void> {
    return this.options.pods.deletePod(name);
  }

  async list(): Promise<SandboxContainerInfo[]> {
    return (await this.scopePods()).map((pod) => {
      const labels = pod.metadata?.labels ?? {};
      const annotations = pod.metadata?.annotations ?? {};
      const name = podName(pod);
      const pooled = labels[LABEL_SESSION] === "" || labels[LABEL_SESSION] === undefined;
      return {
        id: name,
        name,
        host: this.hostOf(pod),
        sessionKey: pooled ? null : (annotations[ANNOTATION_SESSION] ?? null),
        pooled,
        owner: pooled ? (labels[LABEL_OWNER] ?? null) : null,
        imageId: podImage(pod),
        createdAt: annotations[ANNOTATION_CREATED] ?? "",
        running: isRunning(pod),
        status: pod.metadata?.deletionTimestamp ? "Terminating" : (pod.status?.phase ?? "Pending"),
      };
    });
  }

  /** Whether the API server answers and lets the bot list pods in the namespace; throws saying why not. */
  async checkEngine(): Promise<void> {
    await this.scopePods();
  }

  private scopePods(): Promise<V1Pod[]> {
    return this.options.pods.listPods(`${LABEL_APP}=1,${LABEL_SCOPE}=${kubeLabelValue(this.options.scope)}`);
  }

  /** The conversation's pods: the label selects by hash, the annotation confirms the key. */
  private async sessionPods(sessionKey: string): Promise<V1Pod[]> {
    const pods = await this.options.pods.listPods(
      `${LABEL_APP}=1,${LABEL_SCOPE}=${kubeLabelValue(this.options.scope)},${LABEL_SESSION}=${sessionLabelValue(sessionKey)}`,
    );
    return pods.filter((pod) => pod.metadata?.annotations?.[ANNOTATION_SESSION] === sessionKey);
  }

  private async createNamed(name: string, sessionKey: string): Promise<AttachedContainer> {
    const { pods, image, limits, scope, logger } = this.options;
    const range = this.options.userNamespace ? REMAPPED_UID_RANGE : DEFAULT_UID_RANGE;
    const sandboxUid = pickSandboxUid(new Set([...(await this.uidsInUse()), ...this.reservedUids]), range);
    this.reservedUids.add(sandboxUid);
    try {
      await pods.createPod(
        sandboxPod({
          image,
          name,
          scope,
          sessionKey,
          limits,
          sandboxUid,
          createdAt: (this.options.now ?? (() => new Date()))(),
          ...(sessionKey === "" && this.options.owner ? { owner: this.options.owner } : {}),
          ...(this.options.runtimeClassName ? { runtimeClassName: this.options.runtimeClassName } : {}),
          ...(this.options.userNamespace ? { userNamespace: true } : {}),
        }),
      );
    } finally {
      this.reservedUids.delete(sandboxUid);
    }
    let client: SupervisorClient | undefined;
    try {
      // Scheduling and pulling count against the same start limit as a Docker container's start.
      const deadline = Date.now() + limits.startTimeoutMs;
      const pod = await pods.waitUntilRunning(name, limits.startTimeoutMs);
      client = await this.attachClient(name);
      await untilIdle(client, deadline);
      logger.info({ pod: name, sessionKey, sandboxUid }, "sandbox pod started");
      return { id: name, name, host: this.hostOf(pod), client, adopted: false, imageId: image };
    } catch (error) {
      client?.close("the sandbox pod did not start");
      await this.remove(name).catch(() => undefined);
      throw error;
    }
  }

  private async adopt(pod: V1Pod): Promise<AttachedContainer> {
    const name = podName(pod);
    const client = await this.attachClient(name);
    try {
      await settleAdopted(client, this.options.limits, this.options.logger.child({ pod: name }));
    } catch (error) {
      client.close("the sandbox pod did not answer");
      throw error;
    }
    this.options.logger.info({ pod: name }, "adopted running sandbox pod");
    return { id: name, name, host: this.hostOf(pod), client, adopted: true, imageId: podImage(pod) };
  }

  private async attachClient(name: string): Promise<SupervisorClient> {
    const stream = await this.options.pods.attachStream(name);
    return new SupervisorClient(stream, this.options.logger.child({ pod: name }));
  }

  /** Every sandbox uid in the namespace, whatever scope made it. */
  private async uidsInUse(): Promise<Set<number>> {
    const pods = await this.options.pods.listPods(`${LABEL_APP}=1`);
    return new Set(pods.map((pod) => Number(pod.metadata?.labels?.[LABEL_UID])).filter(Number.isInteger));
  }

  /** The node it runs on, as `sessions` and the logs show it; the namespace until it is scheduled. */
  private hostOf(pod: V1Pod): string {
    return pod.spec?.nodeName ?? `kubernetes/${this.namespace}`;
  }
}

function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? "";
}

function podImage(pod: V1Pod): string {
  return pod.spec?.containers.find((c) => c.name === SANDBOX_CONTAINER)?.image ?? "";
}

function isRunning(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp || pod.status?.phase !== "Running") return false;
  return (
    pod.status.containerStatuses?.some(
      (s) => s.name === SANDBOX_CONTAINER && s.state?.running !== undefined,
    ) ?? false
  );
}
