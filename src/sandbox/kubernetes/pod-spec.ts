/**
 * The Pod of a sandbox on Kubernetes: `containerSpec` (../container-spec.ts) said again in
 * Kubernetes' terms, as one pure function a test can read. Where Kubernetes cannot say what
 * Docker does, a comment marked "Kubernetes cannot" says what is lost and what stands in for it,
 * so the README can list them.
 *
 * The posture is Docker's: the supervisor starts as root with four capabilities (it must setuid
 * to the pod's own sandbox uid; user code never runs as root), no-new-privileges, a read-only root,
 * memory-backed scratch space of fixed sizes, and no network (a NetworkPolicy, deploy/kubernetes).
 */
import { createHash } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import {
  LABEL_APP,
  LABEL_CREATED,
  LABEL_OWNER,
  LABEL_SCOPE,
  LABEL_SESSION,
  LABEL_UID,
  SUPERVISOR_CAPABILITIES,
  SUPERVISOR_COMMAND,
} from "../container-spec.ts";
import type { SandboxLimits } from "../limits.ts";

/** The one container of a sandbox pod; attach names it. */
export const SANDBOX_CONTAINER = "sandbox";
/** The full session key (labels cannot hold ':'); the label of the same name holds its hash. */
export const ANNOTATION_SESSION = LABEL_SESSION;
/** The creation time as ISO 8601, as Docker's label has it; the label holds epoch milliseconds. */
export const ANNOTATION_CREATED = LABEL_CREATED;
/** A user namespace maps 65,536 uids into the pod (container uid N is a host uid of its own). */
const USER_NAMESPACE_UIDS = 65_536;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MAX = 63;

export interface SandboxPodInput {
  /** A reference every node can pull, best by digest: an image id means nothing to a kubelet. */
  image: string;
  /** The pod's name, a DNS-1123 subdomain (see sandboxPodName). */
  name: string;
  scope: string;
  /** Empty for a pooled pod, as in Docker. */
  sessionKey: string;
  limits: SandboxLimits;
  createdAt: Date;
  /** The uid user code runs as; one per pod (see ../sandbox-uid.ts). */
  sandboxUid: number;
  /** For a pooled pod: the bot process it waits for (LABEL_OWNER). */
  owner?: string;
  /**
   * `hostUsers: false`: the pod gets a user namespace of its own (Kubernetes 1.33+, or earlier
   * with the UserNamespacesSupport feature gate), so even its root is an unprivileged host uid.
   * Only 65,536 uids exist inside, so sandboxUid must come from REMAPPED_UID_RANGE.
   */
  userNamespace?: boolean;
  /** A RuntimeClass, e.g. `gvisor` for runsc; the cluster's default runtime when absent. */
  runtimeClassName?: string;
}

/**
 * A label value Kubernetes accepts: the text itself when valid, else a hash of it. Listing by a
 * label must pass the value through here too.
 */
export function kubeLabelValue(text: string): string {
  if (text.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(text)) return text;
  return `h-${sha256(text).slice(0, 40)}`;
}

/** The session label's value: a hash, since session keys hold ':'; empty for a pooled pod. */
export function sessionLabelValue(sessionKey: string): string {
  return sessionKey === "" ? "" : sha256(sessionKey).slice(0, 40);
}

/** A pod name for a session: lower-case DNS-1123, at most 63 characters (it is also the hostname). */
export function sandboxPodName(scope: string, sessionKey: string): string {
  return `${sandboxPodPrefix(scope)}-${sha256(sessionKey).slice(0, 20)}`;
}

/** What every pod name of the scope starts with: the scope, made a valid part of a DNS name. */
export function sandboxPodPrefix(scope: string): string {
  const cleanScope = scope
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 30)
    .replace(/-+$/, "");
  return `cib-${cleanScope || "x"}`;
}

export function sandboxPod(input: SandboxPodInput): V1Pod {
  const { limits, sandboxUid: uid } = input;
  if (input.userNamespace && uid >= USER_NAMESPACE_UIDS) {
    throw new Error(
      `sandbox uid ${uid} does not exist in a pod's user namespace (hostUsers: false maps uids ` +
        `below ${USER_NAMESPACE_UIDS}); pick it from REMAPPED_UID_RANGE`,
    );
  }
  // As in Docker, tmpfs pages are charged to the container's memory cgroup, so the scratch
  // space is added on top of what Python may use.
  const memory = `${limits.memoryMb + limits.dataMb + limits.tmpMb + limits.shmMb}Mi`;
  const cpu = `${Math.round(limits.cpus * 1000)}m`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: input.name,
      labels: {
        [LABEL_APP]: "1",
        [LABEL_SCOPE]: kubeLabelValue(input.scope),
        [LABEL_SESSION]: sessionLabelValue(input.sessionKey),
        [LABEL_CREATED]: String(input.createdAt.getTime()),
        [LABEL_UID]: String(uid),
        ...(input.owner ? { [LABEL_OWNER]: kubeLabelValue(input.owner) } : {}),
      },
      annotations: {
        [ANNOTATION_SESSION]: input.sessionKey,
        [ANNOTATION_CREATED]: input.createdAt.toISOString(),
      },
    },
    spec: {
      restartPolicy: "Never",
      // Docker's StopTimeout: 1. The supervisor holds nothing that needs longer to save.
      terminationGracePeriodSeconds: 1,
      // Nothing of the cluster goes in: no service variables, no API token.
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      hostNetwork: false,
      hostPID: false,
      // Docker's IpcMode "private": the pod's own IPC namespace.
      hostIPC: false,
      // Kubernetes cannot run Docker's --init (tini as PID 1). With a shared process namespace the
      // pod's pause process is PID 1 and reaps orphaned processes as tini does; it runs as its own
      // unprivileged uid, so user code can signal it no more than it could tini.
      shareProcessNamespace: true,
      ...(input.userNamespace ? { hostUsers: false } : {}),
      ...(input.runtimeClassName ? { runtimeClassName: input.runtimeClassName } : {}),
      containers: [
        {
          name: SANDBOX_CONTAINER,
          image: input.image,
          imagePullPolicy: "IfNotPresent",
          // `command`, not `args`: no ENTRYPOINT of the image comes between (Docker's Cmd would
          // run behind one; the image has none).
          command: [...SUPERVISOR_COMMAND, "--sandbox-uid", String(uid)],
          workingDir: "/mnt/data",
          // The image's ENV applies; this list adds nothing from the cluster, by design.
          env: [],
          // Kubernetes cannot leave out /dev/termination-log: the kubelet bind-mounts a file from
          // the node's disk there, writable by every uid (0666), past the read-only root. User code
          // can write to it; what it costs the node's disk is bounded only by the node's monitoring.
          terminationMessagePolicy: "File",
          stdin: true,
          // The supervisor's stdin stays open across attaches, so a later bot process re-attaches.
          stdinOnce: false,
          tty: false,
          securityContext: {
            // Root only for the supervisor, which must setuid to the sandbox uid (as in Docker).
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"], add: [...SUPERVISOR_CAPABILITIES] },
            // Kubernetes cannot load a profile from the pod spec: our own (../seccomp-profile.ts)
            // would have to be installed as a file on every node and named as `Localhost`. The
            // runtime's default profile is what every node has.
            seccompProfile: { type: "RuntimeDefault" },
          },
          // requests = limits: the Guaranteed QoS class, so the kubelet evicts sandboxes last and
          // never runs them on CPU or memory another pod was promised.
          // Kubernetes cannot limit one pod's processes: the pids limit is the kubelet's
          // podPidsLimit, one value for every pod on the node (limits.pids is not applied), and
          // ulimits (nofile, core, and nproc under gVisor) are the runtime's defaults.
          // Kubernetes cannot turn off a container's log: the runtime writes stdout and stderr
          // (here the supervisor's protocol, with user output and file contents) to the node's
          // disk, where the kubelet rotates it (containerLogMaxSize, containerLogMaxFiles).
          resources: { requests: { cpu, memory }, limits: { cpu, memory } },
          volumeMounts: [
            { name: "tmp", mountPath: "/tmp" },
            { name: "shm", mountPath: "/dev/shm" },
            { name: "data", mountPath: "/mnt/data" },
          ],
        },
      ],
      // Kubernetes cannot pass tmpfs options: the kubelet mounts a memory-backed emptyDir with its
      // size only. Lost: nr_inodes (the kernel's default, half the node's RAM pages, bounds an
      // inode flood instead of our 64 per MiB), noexec on /dev/shm, nosuid/nodev (no-new-privileges
      // and the missing CAP_MKNOD cover those), and /mnt/data's owner and mode: it is root's and
      // world-writable, where Docker gives it to the sandbox uid with 0755. Only root and the
      // sandbox uid exist inside, so user code can write there either way.
      volumes: [
        memoryVolume("tmp", limits.tmpMb),
        memoryVolume("shm", limits.shmMb),
        memoryVolume("data", limits.dataMb),
      ],
    },
  };
}

function memoryVolume(name: string, sizeMb: number) {
  return { name, emptyDir: { medium: "Memory", sizeLimit: `${sizeMb}Mi` } };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
