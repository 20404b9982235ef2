/**
 * The fake cluster's one node: runs each pod as a real Docker container (pod-to-docker.ts) and
 * reports its container's state as a kubelet would: waiting, running, terminated with an exit
 * code and a reason. It also attaches to a running container, for the attach subresource.
 */
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import type { V1Pod } from "@kubernetes/client-node";
import type Dockerode from "dockerode";
import {
  dockerOptionsFor,
  FAKE_LABEL_APP,
  FAKE_LABEL_SCOPE,
  type NodeSettings,
  UnsupportedPodError,
} from "./pod-to-docker.ts";

export type ContainerReport =
  | { state: "waiting"; reason: string; message: string }
  | { state: "running"; containerId: string; imageId: string; startedAt: Date }
  | {
      state: "terminated";
      containerId: string;
      exitCode: number;
      reason: string;
      message?: string;
      startedAt?: Date;
      finishedAt: Date;
    };

export interface DockerKubeletOptions {
  docker: Dockerode;
  /** The test's scope, on every container (see pod-to-docker.ts). */
  scope: string;
  podPidsLimit?: number;
  /** RuntimeClass name → Docker runtime name, e.g. { gvisor: "runsc" }. */
  runtimeClasses?: Record<string, string>;
}

interface Running {
  /** Settles once the container exists (or could not be made). */
  created: Promise<Dockerode.Container | null>;
}

export class DockerKubelet {
  private readonly pods = new Map<string, Running>();
  /** Kills under way, which shutdown waits for rather than race. */
  private readonly stopping = new Set<Promise<void>>();

  constructor(private readonly options: DockerKubeletOptions) {}

  get runtimeClasses(): ReadonlySet<string> {
    return new Set(Object.keys(this.options.runtimeClasses ?? {}));
  }

  /** Starts the pod's container; every change of its state goes to `report`. */
  run(uid: string, pod: V1Pod, report: (update: ContainerReport) => void): void {
    const created = this.create(pod, report);
    this.pods.set(uid, { created });
    void created.then((container) => (container ? this.start(container, pod, report) : undefined));
  }

  /**
   * A kubelet makes every emptyDir world-writable (0777) before the container runs. Docker copies
   * the image's directory mode over a tmpfs mounted on it (0755, root's), so the fake's node does
   * the kubelet's chmod as root inside, before it reports the container running.
   */
  private async openVolumes(container: Dockerode.Container, pod: V1Pod): Promise<void> {
    const paths = (pod.spec?.containers[0]?.volumeMounts ?? []).map((mount) => mount.mountPath);
    if (paths.length === 0) return;
    const exec = await container.exec({ Cmd: ["chmod", "0777", ...paths], User: "0", AttachStdout: false });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.resume();
    });
  }

  /** Docker's multiplexed attach stream of the pod's container. */
  async attach(uid: string, streams: { stdin: boolean; stdout: boolean; stderr: boolean }): Promise<Duplex> {
    const container = await this.pods.get(uid)?.created;
    if (!container) throw new Error("the pod has no container");
    return (await container.attach({ stream: true, hijack: true, ...streams })) as Duplex;
  }

  /** Stops the pod's container within the grace period and removes it. */
  kill(uid: string, graceSeconds: number): Promise<void> {
    const created = this.pods.get(uid)?.created;
    this.pods.delete(uid);
    const stopped = (async () => {
      const container = await created;
      if (!container) return;
      await container.stop({ t: graceSeconds }).catch(() => undefined);
      await container.remove({ force: true, v: true }).catch(() => undefined);
    })();
    this.stopping.add(stopped);
    void stopped.finally(() => this.stopping.delete(stopped));
    return stopped;
  }

  /** The Docker containers behind this node's pods, running or not. */
  containers(): Promise<Dockerode.ContainerInfo[]> {
    return this.options.docker.listContainers({
      all: true,
      filters: { label: [`${FAKE_LABEL_APP}=1`, `${FAKE_LABEL_SCOPE}=${this.options.scope}`] },
    });
  }

  /** Removes every container this node made, whatever state its pod is in. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.pods.keys()].map((uid) => this.kill(uid, 0)));
    // Kills a deletion started earlier, which would otherwise race the removals below.
    await Promise.all(this.stopping);
    const left = await this.containers();
    await Promise.all(
      left.map((info) => this.options.docker.getContainer(info.Id).remove({ force: true, v: true })),
    );
  }

  private async create(
    pod: V1Pod,
    report: (update: ContainerReport) => void,
  ): Promise<Dockerode.Container | null> {
    const runtimeClass = pod.spec?.runtimeClassName;
    try {
      const spec = dockerOptionsFor(pod, `fake-k8s-${randomBytes(6).toString("hex")}`, {
        scope: this.options.scope,
        ...(this.options.podPidsLimit ? { podPidsLimit: this.options.podPidsLimit } : {}),
        ...(runtimeClass ? { runtime: this.options.runtimeClasses?.[runtimeClass] ?? runtimeClass } : {}),
      } satisfies NodeSettings);
      return await this.options.docker.createContainer(spec);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof UnsupportedPodError)
        report({ state: "waiting", reason: "CreateContainerConfigError", message });
      else if (/no such image/i.test(message)) report({ state: "waiting", reason: "ErrImagePull", message });
      else report({ state: "waiting", reason: "CreateContainerError", message });
      return null;
    }
  }

  private async start(
    container: Dockerode.Container,
    pod: V1Pod,
    report: (update: ContainerReport) => void,
  ): Promise<void> {
    try {
      await container.start();
    } catch (error) {
      report({
        state: "terminated",
        containerId: container.id,
        exitCode: 128,
        reason: "StartError",
        message: error instanceof Error ? error.message : String(error),
        finishedAt: new Date(),
      });
      return;
    }
    await this.openVolumes(container, pod).catch(() => undefined);
    const info = await container.inspect().catch(() => null);
    const startedAt = info ? new Date(info.State.StartedAt) : new Date();
    report({ state: "running", containerId: container.id, imageId: info?.Image ?? "", startedAt });
    const exit = await container.wait().catch(() => ({ StatusCode: 137 }));
    const after = await container.inspect().catch(() => null);
    const exitCode = Number((exit as { StatusCode?: number }).StatusCode ?? 137);
    report({
      state: "terminated",
      containerId: container.id,
      exitCode,
      reason: after?.State.OOMKilled ? "OOMKilled" : exitCode === 0 ? "Completed" : "Error",
      startedAt,
      finishedAt: after ? new Date(after.State.FinishedAt) : new Date(),
    });
  }
}
