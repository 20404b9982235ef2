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
import type { OciRuntime } from "./oci-runtime.ts";
import { sandboxSeccompProfile } from "./seccomp-profile.ts";

export const LABEL_APP = "code-interpreter-bot";
export const LABEL_SCOPE = "code-interpreter-bot.scope";
export const LABEL_SESSION = "code-interpreter-bot.session";
export const LABEL_CREATED = "code-interpreter-bot.created";
export const LABEL_UID = "code-interpreter-bot.uid";
/** The bot process (replica) a pooled container waits for: only a dead one's are left-overs. */
export const LABEL_OWNER = "code-interpreter-bot.owner";
/**
 * On what reads a file out of the sandbox image (the library census), instead of the scope's label:
 * no sweep or pool takes one for a sandbox of its own.
 */
export const LABEL_IMAGE_READ = "code-interpreter-bot.image-read";
export const SUPERVISOR_CAPABILITIES: readonly string[] = ["SETUID", "SETGID", "SETPCAP", "KILL"];
export const SUPERVISOR_COMMAND: readonly string[] = ["python3", "-I", "-u", "/opt/sandbox/supervisor.py"];
const MIB = 1024 * 1024;
/** Files per MiB of a tmpfs: bounds the kernel memory an inode flood costs (about 1 KiB each). */
const INODES_PER_MB = 64;
const MIN_INODES = 1024;
/**
 * Under runsc the pids limit applies to gVisor's own host processes, not to user code's: the
 * Sentry's threads and, on the ptrace platform, a stub process per address space and a host
 * thread per guest thread. At the sandbox's own limit (64 in the tests) the Sentry cannot start
 * its first stub ("error initializing first thread: resource temporarily unavailable"). The
 * sandbox's own limit is RLIMIT_NPROC, which the Sentry enforces inside (it has no pids cgroup of
 * its own), so a fork bomb fails with EAGAIN at the limit; the host's limit is a backstop above
 * what gVisor needs for that many guest processes, or reaching it stops the whole sandbox.
 * Measured with Debian's runsc 20221219 on the ptrace platform (the cgroup's pids.peak): 417 host
 * tasks for 64 sleeping forks of a bare Python, but 749 when Python with numpy and pandas loaded
 * forks and execs 64 processes. And gVisor keeps most of those host tasks after the guest
 * processes have exited: on a loaded host (two busy CPUs), rounds of 64 forks in one sandbox left
 * 978, 1,447 and 1,817 host tasks behind, so the former limit of 12 per process (1,024 for 64)
 * stopped the sandbox in its second round. 24 per process carries a sandbox through three such
 * rounds under load; what it cannot do is make the count go down: a sandbox that keeps forking
 * ends at the limit, and the person is told the sandbox stopped (README, gVisor).
 */
const RUNSC_PIDS_PER_PROCESS = 24;
const RUNSC_PIDS_HEADROOM = 512;

export interface ContainerSpecInput {
  image: string;
  name: string;
  scope: string;
  sessionKey: string;
  limits: SandboxLimits;
  createdAt: Date;
  /** The uid user code runs as; one per container (see sandbox-uid.ts). */
  sandboxUid: number;
  /** runc when absent. */
  runtime?: OciRuntime;
  /** For a pooled container: the bot process it waits for (LABEL_OWNER). */
  owner?: string;
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
  const runtime = input.runtime ?? "runc";
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
      ...(input.owner ? { [LABEL_OWNER]: input.owner } : {}),
    },
    HostConfig: {
      Runtime: runtime,
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      CapAdd: [...SUPERVISOR_CAPABILITIES],
      // runsc does not apply an OCI seccomp profile to user code (only newer releases do, with
      // --oci-seccomp): gVisor's Sentry answers every system call itself and is held to its own
      // filter on the host. The profile is sent anyway, so the spec states one posture.
      SecurityOpt: ["no-new-privileges", `seccomp=${JSON.stringify(sandboxSeccompProfile())}`],
      Init: true,
      Memory: ramBytes,
      MemorySwap: ramBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit:
        runtime === "runsc" ? limits.pids * RUNSC_PIDS_PER_PROCESS + RUNSC_PIDS_HEADROOM : limits.pids,
      IpcMode: "private",
      Tmpfs: {
        "/tmp": tmpfsOptions(limits.tmpMb, "mode=1777"),
        "/dev/shm": tmpfsOptions(limits.shmMb, "noexec,mode=1777"),
        "/mnt/data": tmpfsOptions(limits.dataMb, `mode=0755,uid=${uid},gid=${uid}`),
      },
      Ulimits: [
        { Name: "nofile", Soft: 1024, Hard: 1024 },
        { Name: "core", Soft: 0, Hard: 0 },
        // Counted per uid and waived for root, so it binds user code and not the supervisor.
        ...(runtime === "runsc" ? [{ Name: "nproc", Soft: limits.pids, Hard: limits.pids }] : []),
      ],
      // The default json-file driver would let user output fill the host's disk.
      LogConfig: { Type: "none", Config: {} },
      RestartPolicy: { Name: "no" },
      AutoRemove: false,
    },
  };
}
