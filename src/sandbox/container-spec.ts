/**
 * The Docker create options of a sandbox container: the whole security posture in one
 * pure function, so a test can read it. Nothing from the bot's own environment goes in.
 */
import type { ContainerCreateOptions } from "dockerode";
import type { SandboxLimits } from "./limits.ts";

export const LABEL_APP = "code-interpreter-bot";
export const LABEL_SCOPE = "code-interpreter-bot.scope";
export const LABEL_SESSION = "code-interpreter-bot.session";
export const LABEL_CREATED = "code-interpreter-bot.created";
export const SANDBOX_UID = 1000;
const MIB = 1024 * 1024;

export interface ContainerSpecInput {
  image: string;
  name: string;
  scope: string;
  sessionKey: string;
  limits: SandboxLimits;
  createdAt: Date;
}

export function tmpfsOptions(sizeMb: number, extra: string): string {
  return `rw,nosuid,nodev,size=${sizeMb}m,${extra}`;
}

export function containerSpec(input: ContainerSpecInput): ContainerCreateOptions {
  const { limits } = input;
  const ramBytes = (limits.memoryMb + limits.dataMb + limits.tmpMb + limits.shmMb) * MIB;
  return {
    name: input.name,
    Image: input.image,
    User: `${SANDBOX_UID}:${SANDBOX_UID}`,
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
    },
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Init: true,
      Memory: ramBytes,
      MemorySwap: ramBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      IpcMode: "private",
      Tmpfs: {
        "/tmp": tmpfsOptions(limits.tmpMb, "mode=1777"),
        "/dev/shm": tmpfsOptions(limits.shmMb, "noexec,mode=1777"),
        "/mnt/data": tmpfsOptions(limits.dataMb, `mode=0755,uid=${SANDBOX_UID},gid=${SANDBOX_UID}`),
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
