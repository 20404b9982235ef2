/** Resource limits of one sandbox container; every one is configurable (see src/config.ts). */
export interface SandboxLimits {
  /** Memory for Python and its children. tmpfs sizes are added on top: tmpfs pages live in RAM. */
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Size of /mnt/data (tmpfs). */
  dataMb: number;
  tmpMb: number;
  shmMb: number;
  executionTimeoutMs: number;
  /** How long an interrupted run gets to stop before the Python process is replaced. */
  interruptGraceMs: number;
  /** stdout+stderr bytes kept per execution; the rest is counted and reported. */
  outputLimitBytes: number;
  /** Largest file taken out of the sandbox. */
  maxFileBytes: number;
  /** How long a container gets to start its kernel. */
  startTimeoutMs: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryMb: 1024,
  cpus: 1,
  pids: 256,
  dataMb: 1024,
  tmpMb: 256,
  shmMb: 64,
  executionTimeoutMs: 120_000,
  interruptGraceMs: 3_000,
  outputLimitBytes: 1024 * 1024,
  maxFileBytes: 100 * 1024 * 1024,
  startTimeoutMs: 60_000,
};
