/**
 * The fake's pods: what the API server keeps in etcd. Creating one fills in what the server
 * would (uid, resourceVersion, creationTimestamp, a Pending status); the node's reports move it
 * Pending → Running → Succeeded or Failed; deleting marks it terminating until the node is done.
 */
import { randomUUID } from "node:crypto";
import type { V1ContainerStatus, V1Pod, V1PodCondition } from "@kubernetes/client-node";
import { alreadyExists, notFound } from "./api-status.ts";
import type { ContainerReport } from "./docker-kubelet.ts";
import { matchesSelector, type Requirement } from "./label-selector.ts";

/** The node every pod of the fake is scheduled on. */
export const FAKE_NODE = "fake-node-1";

export class PodStore {
  private readonly pods = new Map<string, V1Pod>();
  private version = 1;

  /** Stores a validated, named pod; a name taken in the namespace is a 409. */
  create(namespace: string, body: V1Pod): V1Pod {
    const name = body.metadata?.name ?? "";
    const key = `${namespace}/${name}`;
    if (this.pods.has(key)) throw alreadyExists("pods", name);
    const now = new Date();
    const pod: V1Pod = {
      ...body,
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...body.metadata,
        name,
        namespace,
        uid: randomUUID(),
        resourceVersion: this.nextVersion(),
        creationTimestamp: now,
      },
      // The fake's one node; a real scheduler binds the pod to a node just after it is created.
      ...(body.spec ? { spec: { ...body.spec, nodeName: FAKE_NODE } } : {}),
      status: {
        phase: "Pending",
        qosClass: qosClass(body),
        conditions: [condition("PodScheduled", "True", now)],
        containerStatuses: (body.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? "",
          imageID: "",
          ready: false,
          started: false,
          restartCount: 0,
          state: { waiting: { reason: "ContainerCreating" } },
        })),
      },
    };
    this.pods.set(key, pod);
    return pod;
  }

  get(namespace: string, name: string): V1Pod {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) throw notFound("pods", name);
    return pod;
  }

  list(namespace: string, selector: Requirement[]): V1Pod[] {
    return [...this.pods.values()].filter(
      (pod) => pod.metadata?.namespace === namespace && matchesSelector(pod.metadata.labels, selector),
    );
  }

  get resourceVersion(): string {
    return String(this.version);
  }

  /** New labels and annotations (already merged and validated); a new resourceVersion. */
  relabel(
    namespace: string,
    name: string,
    metadata: { labels: Record<string, string>; annotations: Record<string, string> },
  ): V1Pod {
    const pod = this.get(namespace, name);
    pod.metadata = { ...pod.metadata, ...metadata, resourceVersion: this.nextVersion() };
    return pod;
  }

  /** Marks the pod terminating, as DELETE does before the node has stopped it. */
  markDeleting(namespace: string, name: string, graceSeconds: number): V1Pod {
    const pod = this.get(namespace, name);
    if (!pod.metadata?.deletionTimestamp) {
      pod.metadata = {
        ...pod.metadata,
        deletionTimestamp: new Date(Date.now() + graceSeconds * 1000),
        deletionGracePeriodSeconds: graceSeconds,
        resourceVersion: this.nextVersion(),
      };
    }
    return pod;
  }

  remove(namespace: string, name: string): void {
    this.pods.delete(`${namespace}/${name}`);
  }

  /** Applies what the node reports about the pod's (only) container. */
  report(namespace: string, name: string, update: ContainerReport): void {
    const pod = this.pods.get(`${namespace}/${name}`);
    const status = pod?.status;
    const previous = status?.containerStatuses?.[0];
    if (!pod || !status || !previous) return;
    const now = new Date();
    const next: V1ContainerStatus = { ...previous, ready: false, started: false };
    if (update.state === "waiting") {
      next.state = { waiting: { reason: update.reason, message: update.message } };
    } else if (update.state === "running") {
      Object.assign(next, {
        containerID: `docker://${update.containerId}`,
        imageID: update.imageId,
        ready: true,
        started: true,
      });
      next.state = { running: { startedAt: update.startedAt } };
      status.phase = "Running";
      status.startTime = update.startedAt;
      status.conditions = [condition("PodScheduled", "True", now), condition("Ready", "True", now)];
    } else {
      next.containerID = `docker://${update.containerId}`;
      next.state = {
        terminated: {
          containerID: `docker://${update.containerId}`,
          exitCode: update.exitCode,
          reason: update.reason,
          ...(update.message ? { message: update.message } : {}),
          ...(update.startedAt ? { startedAt: update.startedAt } : {}),
          finishedAt: update.finishedAt,
        },
      };
      // restartPolicy Never (the fake's node restarts nothing): the pod ends with its container.
      status.phase = update.exitCode === 0 ? "Succeeded" : "Failed";
      status.conditions = [
        condition("PodScheduled", "True", now),
        condition("Ready", "False", now, "PodCompleted"),
      ];
    }
    status.containerStatuses = [next];
    pod.metadata = { ...pod.metadata, resourceVersion: this.nextVersion() };
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }
}

function condition(type: string, status: "True" | "False", at: Date, reason?: string): V1PodCondition {
  return { type, status, lastTransitionTime: at, ...(reason ? { reason } : {}) };
}

/** Guaranteed when every container's requests equal its limits for cpu and memory. */
function qosClass(pod: V1Pod): string {
  const containers = pod.spec?.containers ?? [];
  const resources = containers.map((c) => c.resources ?? {});
  if (resources.every((r) => !r.limits && !r.requests)) return "BestEffort";
  const guaranteed = resources.every((r) =>
    (["cpu", "memory"] as const).every(
      (name) => r.limits?.[name] !== undefined && (r.requests?.[name] ?? r.limits[name]) === r.limits[name],
    ),
  );
  return guaranteed ? "Guaranteed" : "Burstable";
}
