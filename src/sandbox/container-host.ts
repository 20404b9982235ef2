/**
 * What a ContainerSession asks of whoever owns the host's capacity (SandboxAdmission): a
 * container when it needs one, a slot when it wants to run code, and word when it lets go.
 * Sessions never start or remove containers on their own, so the live and running limits,
 * the pool and the fair queue are all kept in one place.
 */
import type { AttachedContainer } from "./container-runtime.ts";
import type { RunStage } from "./types.ts";

export interface WaitOptions {
  /** Who waits: the queue takes turns between owners. */
  owner: string;
  /** Withdraws the request while it waits. */
  signal?: AbortSignal;
  onStage?: (stage: RunStage) => void;
}

export interface ContainerHost {
  containerName(key: string): string;
  /**
   * A running container for the session once there is room: its own (adopted from an earlier
   * process), a warm one from the pool, or a new one. Null when the signal aborted while it waited.
   */
  open(key: string, wait: WaitOptions): Promise<AttachedContainer | null>;
  /** The session is done with a container `open` gave it: removed, or left running for a later process. */
  release(container: AttachedContainer, how: "remove" | "detach"): Promise<void>;
  /** Removes the session's container that this process never attached to (one another process left). */
  removeUnattached(key: string): Promise<number>;
  /**
   * Whether the engine killed a lost container for using too much memory. Under gVisor (runsc)
   * this is how an out-of-memory run shows: the host's OOM killer stops the whole sandbox, and
   * the cgroup counters the supervisor reads under runc do not exist inside it.
   */
  wasOomKilled?(container: AttachedContainer): Promise<boolean>;
  /**
   * The same container attached anew when its channel broke but it still runs; null when it
   * does not (or the runtime cannot tell), and the session replaces it.
   */
  reattach?(container: AttachedContainer): Promise<AttachedContainer | null>;
  /** Why a container's channel broke, for the person: its engine gone, or what the channel said. */
  lossReason(container: AttachedContainer): Promise<string>;
  /** Waits for a run slot; resolves with its release, or null when the signal aborted first. */
  runSlot(wait: WaitOptions): Promise<(() => void) | null>;
}
