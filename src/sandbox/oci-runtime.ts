/**
 * Which OCI runtime Docker starts sandbox containers with. runc shares the host's kernel and
 * filters its system calls with our seccomp profile; runsc (gVisor) puts a user-space kernel
 * between user code and the host's, at a cost in start-up time and memory (README: "Stronger
 * isolation: gVisor").
 */
import { FatalError } from "../errors.ts";

export const OCI_RUNTIMES = ["runc", "runsc"] as const;
export type OciRuntime = (typeof OCI_RUNTIMES)[number];

/**
 * The start-up check: a container created with an unknown runtime fails only when the first
 * conversation starts, with Docker's terse "unknown or invalid runtime name".
 * `runtimes` is `docker info`'s `Runtimes`, keyed by name.
 */
export function checkRuntimeKnown(runtime: OciRuntime, runtimes: Record<string, unknown> | undefined): void {
  if (isRuntimeKnown(runtime, runtimes)) return;
  const known = knownRuntimes(runtimes);
  throw new FatalError(
    "sandbox_runtime_unknown",
    `SANDBOX_RUNTIME=${runtime}, but the Docker engine does not know that runtime (it knows: ${known}). ` +
      "Run `sudo bash scripts/ensure-docker.sh --runsc` to install gVisor and register it with dockerd, " +
      "or unset SANDBOX_RUNTIME to use runc.",
  );
}

/** Whether the engine can start containers with `runtime`; `runtimes` as for checkRuntimeKnown. */
export function isRuntimeKnown(runtime: OciRuntime, runtimes: Record<string, unknown> | undefined): boolean {
  // Docker always has runc, and older engines leave it out of the list.
  return runtime === "runc" || (runtimes !== undefined && Object.hasOwn(runtimes, runtime));
}

/** The engine's runtimes, named for a message. */
export function knownRuntimes(runtimes: Record<string, unknown> | undefined): string {
  return Object.keys(runtimes ?? {}).join(", ") || "none listed";
}
