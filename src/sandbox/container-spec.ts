/**
 * The Docker create options of a sandbox container: the whole security posture in one
 * pure function, so a test can read it. Nothing from the bot's own environment goes in.
 *
 * The container starts as root with four capabilities, all the supervisor needs to run user
 * code as the container's own uid and to stop its processes (sandbox-image/kernel/cib_identity.py);
 * user code itself has none, and cannot reach the supervisor or PID 1.
 */
import type { ContainerCreateOptions } from "dockerode";
import type { SandboxLimits } from "./limits.ts";
import { sandboxSeccompProfile } from "./seccomp-profile.ts";

export const LABEL_APP = "code-interpreter-bot";
export const LABEL_SCOPE = "code-interpreter-bot.scope";
export const LABEL_SESSION = "code-interpreter-bot.session";
export const LABEL_CREATED = "code-interpreter-bot.created";
export const LABEL_UID = "code-interpreter-bot.uid";
export const SUPERVISOR_CAPABILITIES: readonly string[] = ["SETUID", "SETGID", "SETPCAP", "KILL"];
const SUPERVISOR_COMMAND = ["python3", "-I", "-u", "/opt/sandbox/supervisor.py"];
const MIB = 1024 * 1024;
/** Files per MiB of a tmpfs: bounds the kernel memory an inode flood costs (about 1 KiB each). */
const INODES_PER_MB = 64;
const MIN_INODES = 1024;

export interface ContainerSpecInput {
  image: string;
  name: string;
  scope: string;
  sessionKey: string;
  limits: SandboxLimits;
  createdAt: Date;
  /** The uid user code runs as; one per container (see sandbox-uid.ts). */
  sandboxUid: number;
}

export function tmpfsOptions(sizeMb: number, extra: string): string {
  return `rw,nosuid,nodev,size=${sizeMb}m,nr_inodes=${tmpfsInodes(sizeMb)},${extra}`;
}

/** The most files and folders a tmpfs of this size holds. */
export function tmpfsInodes(sizeMb: number): number {
  return Math.max(MIN_INODES, sizeMb * INODES_PER_MB);
}

export function containerSpec(input: ContainerSpecInput): ContainerCreateOptions {
  const { limits, sandboxUid: uid } = input;
  const ramBytes = (limits.memoryMb + limits.dataMb + limits.tmpMb + limits.shmMb) * MIB;
  return {
    name: input.name,
    Image: input.image,
    User: "0:0",
    Cmd: [...SUPERVISOR_COMMAND, "--sandbox-uid", String(uid)],
    WorkingDir: "/mnt/data",
    // The image's ENV applies; this list adds nothing from the host, by design.
    Env: [],
    Tty: false,
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    NetworkDisabled: true,
    StopTimeout: 1,
    Labels: {
      [LABEL_APP]: "1",
      [LABEL_SCOPE]: input.scope,
      [LABEL_SESSION]: input.sessionKey,
      [LABEL_CREATED]: input.createdAt.toISOString(),
      [LABEL_UID]: String(uid),
    },
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      CapAdd: [...SUPERVISOR_CAPABILITIES],
      SecurityOpt: ["no-new-privileges", `seccomp=${JSON.stringify(sandboxSeccompProfile())}`],
      Init: true,
      Memory: ramBytes,
      MemorySwap: ramBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      IpcMode: "private",
      Tmpfs: {
        "/tmp": tmpfsOptions(limits.tmpMb, "mode=1777"),
        "/dev/shm": tmpfsOptions(limits.shmMb, "noexec,mode=1777"),
        "/mnt/data": tmpfsOptions(limits.dataMb, `mode=0755,uid=${uid},gid=${uid}`),
      },
      Ulimits: [
        { Name: "nofile", Soft: 1024, Hard: 1024 },
        { Name: "core", Soft: 0, Hard: 0 },
      ],
      // The default json-file driver would let user output fill the host's disk.
      LogConfig: { Type: "none", Config: {} },
      RestartPolicy: { Name: "no" },
      AutoRemove: false,
    },
  };
}
