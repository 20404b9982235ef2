/**
 * The Docker container a kubelet with the Docker-compatible runtime would make of a pod: one pure
 * function, so a test reads what each field of the pod spec became. Where the node would do
 * something Docker cannot (a user namespace per pod), the fake says so here and does without.
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import type { ContainerCreateOptions } from "dockerode";
import { parseQuantity } from "./quantity.ts";

/** Labels on every container the fake makes: tests clean up by them. */
export const FAKE_LABEL_APP = "code-interpreter-bot";
export const FAKE_LABEL_SCOPE = "code-interpreter-bot.scope";
export const FAKE_LABEL_POD = "fake-kubernetes.pod";

export interface NodeSettings {
  /** The test's scope: the containers' `code-interpreter-bot.scope` label. */
  scope: string;
  /** The kubelet's podPidsLimit; unlimited when absent, as the kubelet's default is. */
  podPidsLimit?: number;
  /** The OCI runtime (Docker's name for it) the pod's RuntimeClass stands for; Docker's default when absent. */
  runtime?: string;
}

/** A pod spec this fake node cannot run; the kubelet reports it as CreateContainerConfigError. */
export class UnsupportedPodError extends Error {}

export function dockerOptionsFor(pod: V1Pod, name: string, node: NodeSettings): ContainerCreateOptions {
  const spec = pod.spec;
  const container = spec?.containers[0];
  if (!spec || !container || spec.containers.length > 1 || spec.initContainers?.length) {
    throw new UnsupportedPodError("the fake node runs pods of exactly one container and no init containers");
  }
  const podContext = spec.securityContext ?? {};
  const context = container.securityContext ?? {};
  const runAsUser = context.runAsUser ?? podContext.runAsUser;
  const runAsGroup = context.runAsGroup ?? podContext.runAsGroup;
  const limits = container.resources?.limits ?? {};
  const memory = limits.memory === undefined ? undefined : parseQuantity(limits.memory);
  const cpu = limits.cpu === undefined ? undefined : parseQuantity(limits.cpu);
  return {
    name,
    Image: container.image ?? "",
    // Kubernetes' command replaces the image's ENTRYPOINT and args its CMD, as Docker's fields do.
    ...(container.command ? { Entrypoint: container.command, Cmd: container.args ?? [] } : {}),
    ...(!container.command && container.args ? { Cmd: container.args } : {}),
    ...(runAsUser === undefined
      ? {}
      : { User: runAsGroup === undefined ? String(runAsUser) : `${runAsUser}:${runAsGroup}` }),
    ...(container.workingDir ? { WorkingDir: container.workingDir } : {}),
    Env: (container.env ?? []).flatMap((variable) =>
      variable.value === undefined ? [] : [`${variable.name}=${variable.value}`],
    ),
    Hostname: (pod.metadata?.name ?? "").slice(0, 63),
    Tty: container.tty === true,
    OpenStdin: container.stdin === true,
    StdinOnce: container.stdinOnce === true,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    // The cluster's NetworkPolicy (deploy/kubernetes/40-network-policy.yaml) lets no packet in or out;
    // this node has no CNI to enforce one, so its pods get no network at all, which is stricter.
    NetworkDisabled: true,
    Labels: {
      [FAKE_LABEL_APP]: "1",
      [FAKE_LABEL_SCOPE]: node.scope,
      [FAKE_LABEL_POD]: `${pod.metadata?.namespace ?? ""}.${pod.metadata?.name ?? ""}`,
    },
    HostConfig: {
      ...(node.runtime ? { Runtime: node.runtime } : {}),
      NetworkMode: "none",
      IpcMode: "private",
      // The pause process is PID 1 of a shared process namespace and reaps orphans; tini does that
      // here. Unlike pause, tini starts the command itself, so a command that does not exist makes a
      // container that runs and exits 127, where a kubelet reports StartError.
      Init: spec.shareProcessNamespace === true,
      ReadonlyRootfs: context.readOnlyRootFilesystem === true,
      CapDrop: context.capabilities?.drop ?? [],
      CapAdd: context.capabilities?.add ?? [],
      SecurityOpt: securityOptions(
        context.allowPrivilegeEscalation,
        context.seccompProfile?.type ?? podContext.seccompProfile?.type,
      ),
      ...(memory === undefined || memory === null
        ? {}
        : { Memory: Math.round(memory), MemorySwap: Math.round(memory) }),
      ...(cpu === undefined || cpu === null ? {} : { NanoCpus: Math.round(cpu * 1e9) }),
      ...(node.podPidsLimit ? { PidsLimit: node.podPidsLimit } : {}),
      Tmpfs: tmpfsMounts(spec.volumes ?? [], container),
      // The fake serves no /log subresource, so nothing needs the output on disk.
      LogConfig: { Type: "none", Config: {} },
      RestartPolicy: { Name: "no" },
      AutoRemove: false,
    },
  };
}

/**
 * No seccompProfile means Unconfined to a kubelet (unless it runs with --seccomp-default);
 * RuntimeDefault is the runtime's own profile, which Docker applies when told nothing.
 */
function securityOptions(
  allowPrivilegeEscalation: boolean | undefined,
  seccomp: string | undefined,
): string[] {
  if (seccomp === "Localhost")
    throw new UnsupportedPodError("the fake node has no Localhost seccomp profiles");
  return [
    ...(allowPrivilegeEscalation === false ? ["no-new-privileges"] : []),
    ...(seccomp === "RuntimeDefault" ? [] : ["seccomp=unconfined"]),
  ];
}

/**
 * A memory-backed emptyDir is a tmpfs the kubelet mounts with its size only, exec allowed, and
 * then makes world-writable (mode 0777, the kubelet's emptyDir permission). Docker's tmpfs would
 * otherwise take the image's directory mode (0755, root's), which no sandbox uid could write.
 * Disk-backed volumes are beyond this node.
 */
function tmpfsMounts(
  volumes: NonNullable<V1Pod["spec"]>["volumes"] & object,
  container: V1Container,
): Record<string, string> {
  const mounts: Record<string, string> = {};
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((candidate) => candidate.name === mount.name);
    if (volume?.emptyDir?.medium !== "Memory") {
      throw new UnsupportedPodError(
        `volume ${mount.name}: the fake node mounts only memory-backed emptyDir volumes`,
      );
    }
    const size = volume.emptyDir.sizeLimit === undefined ? null : parseQuantity(volume.emptyDir.sizeLimit);
    const options = [
      mount.readOnly ? "ro" : "rw",
      "exec",
      "mode=0777",
      ...(size ? [`size=${Math.round(size)}`] : []),
    ];
    mounts[mount.mountPath] = options.join(",");
  }
  return mounts;
}
