/** How a SandboxManager (session-manager.ts) is set up: where containers run, and its limits. */
import type Dockerode from "dockerode";
import type { Logger } from "../logger.ts";
import type { SandboxLimits } from "./limits.ts";
import type { OciRuntime } from "./oci-runtime.ts";
import type { SandboxRuntime } from "./sandbox-runtime.ts";

export interface SandboxManagerOptions {
  /** The one Docker engine; unused with `hosts` or `sandboxRuntime`. */
  docker?: Dockerode;
  /** Sandboxes somewhere other than Docker (Kubernetes pods): used instead of `docker` and `hosts`. */
  sandboxRuntime?: SandboxRuntime;
  /**
   * With more than one (SANDBOX_DOCKER_HOSTS), sandboxes spread over these engines instead of
   * `docker` alone; each is named as the setting lists it.
   */
  hosts?: Array<{ name: string; docker: Dockerode }>;
  image: string;
  limits: SandboxLimits;
  logger: Logger;
  /** Containers are labelled with it; start-up clean-up touches only its own scope. */
  scope: string;
  /** Sessions unused for this long are suspended; 0 keeps their containers until closed. */
  idleTimeoutMs?: number;
  /** Containers alive at once, pooled ones included; the least recently used idle session makes room. 0: no limit. */
  maxLive?: number;
  /** Runs at once; more wait their turn. 0: no limit. */
  maxRunning?: number;
  /** Warm containers kept waiting for new conversations (container-pool.ts); 0 for none. */
  poolSize?: number;
  /** Where conversations' files are kept between containers (src/sandbox/kept-files.ts); unset keeps nothing. */
  keptFilesDir?: string;
  /** Kept files of conversations unused this long are removed; 0 keeps them forever. */
  keptFilesRetentionMs?: number;
  /** The OCI runtime of its containers; runc when absent. */
  runtime?: OciRuntime;
  /**
   * With replicas sharing the scope (and so the engine's containers): this process's id, and
   * the ids alive now. Pooled containers carry the id; only a dead replica's are left-overs.
   */
  replicas?: { id: string; alive: () => Promise<ReadonlySet<string>> };
  now?: () => number;
}
