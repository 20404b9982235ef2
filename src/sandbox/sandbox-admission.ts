/**
 * Protects the host: at most `maxLive` containers alive at once (the pool's included) and at
 * most `maxRunning` runs at once. What does not fit waits in a fair queue (fair-queue.ts: turns
 * between users, so one user's twenty requests cannot starve another's one), reports how many
 * are ahead of it, and is never dropped. When containers are short, the least recently used
 * idle session is suspended (its files and variables kept) to make room, one per waiter.
 */
import type { Logger } from "../logger.ts";
import type { ContainerHost, WaitOptions } from "./container-host.ts";
import { ContainerPool } from "./container-pool.ts";
import type { AttachedContainer, ContainerRuntime } from "./container-runtime.ts";
import { FairQueue, SlotQueue } from "./fair-queue.ts";

export interface SandboxAdmissionOptions {
  runtime: ContainerRuntime;
  logger: Logger;
  /** Containers alive at once, pooled ones included; 0 for no limit. */
  maxLive: number;
  /** Runs at once; 0 for no limit. */
  maxRunning: number;
  poolSize: number;
  warmUpTimeoutMs: number;
  /** Suspends the least recently used idle session to make room; false when none is idle. */
  suspendIdle: () => Promise<boolean>;
}

/** A container the live limit let in: a warm one from the pool, or room to start one. */
type LiveGrant = { pooled: AttachedContainer | null };

export class SandboxAdmission implements ContainerHost {
  readonly pool: ContainerPool;
  /** Containers sessions hold, or are starting. */
  private held = 0;
  /** Idle sessions being suspended to make room. */
  private suspending = 0;
  private readonly live: FairQueue<LiveGrant>;
  private readonly runs: SlotQueue;

  constructor(private readonly options: SandboxAdmissionOptions) {
    this.live = new FairQueue(() => this.admitLive());
    this.runs = new SlotQueue(options.maxRunning);
    this.pool = new ContainerPool({
      runtime: options.runtime,
      size: options.poolSize,
      logger: options.logger.child({ component: "pool" }),
      // Someone waiting for a container gets the room before the pool does.
      mayGrow: () => this.live.waiting === 0 && this.hasRoom(),
      onReady: () => this.live.pump(),
      onRoomFreed: () => this.live.pump(),
      warmUpTimeoutMs: options.warmUpTimeoutMs,
    });
  }

  /** Live containers: the sessions' and the pool's. */
  get liveCount(): number {
    return this.held + this.pool.count;
  }

  get runningCount(): number {
    return this.runs.inUse;
  }

  /** Requests waiting for a container or for a run slot. */
  get waitingCount(): number {
    return this.live.waiting + this.runs.waiting;
  }

  containerName(key: string): string {
    return this.options.runtime.containerName(key);
  }

  async open(key: string, wait: WaitOptions): Promise<AttachedContainer | null> {
    const { runtime } = this.options;
    const adopted = await runtime.adoptExisting(key);
    if (adopted) {
      // It is alive already, so it counts whether or not there was room.
      this.held += 1;
      return adopted;
    }
    const grant = await this.live.enter(wait.owner, {
      signal: wait.signal,
      onPosition: (ahead) => wait.onStage?.({ stage: "queued", ahead }),
    });
    if (!grant) return null;
    try {
      if (grant.pooled) return await runtime.claim(grant.pooled, key);
      wait.onStage?.({ stage: "starting" });
      return await runtime.create(key);
    } catch (error) {
      if (grant.pooled) {
        grant.pooled.client.close();
        await runtime.remove(grant.pooled.id).catch(() => undefined);
      }
      this.held -= 1;
      this.capacityChanged();
      throw error;
    }
  }

  async release(container: AttachedContainer, how: "remove" | "detach"): Promise<void> {
    container.client.close();
    try {
      if (how === "remove") await this.options.runtime.remove(container.id);
    } finally {
      // Counted free only once it is gone, so the memory it used is free too.
      this.held = Math.max(0, this.held - 1);
      this.capacityChanged();
    }
  }

  async removeUnattached(key: string): Promise<void> {
    await this.options.runtime.remove(this.containerName(key));
  }

  async runSlot(wait: WaitOptions): Promise<(() => void) | null> {
    const release = await this.runs.enter(wait.owner, {
      signal: wait.signal,
      onPosition: (ahead) => wait.onStage?.({ stage: "queued", ahead }),
    });
    if (!release) return null;
    return () => {
      release();
      // The session that ran is idle now: it may make room for a waiting container too.
      this.capacityChanged();
    };
  }

  /** Something may have freed room: a run ended, a container went, a session became idle. */
  capacityChanged(): void {
    this.live.pump();
    this.pool.fill();
  }

  private hasRoom(): boolean {
    return this.options.maxLive <= 0 || this.liveCount < this.options.maxLive;
  }

  private admitLive(): LiveGrant | null {
    const pooled = this.pool.take();
    if (pooled || this.hasRoom()) {
      this.held += 1;
      if (pooled) this.pool.fill();
      return { pooled };
    }
    this.makeRoom();
    return null;
  }

  /** Suspends one idle session for each request waiting for a container, beyond those under way. */
  private makeRoom(): void {
    // Called as a request finds no room: it may not be counted among the waiting yet.
    if (this.suspending >= Math.max(1, this.live.waiting)) return;
    this.suspending += 1;
    void this.options
      .suspendIdle()
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error }, "could not suspend an idle session to make room");
        return false;
      })
      .then((suspended) => {
        this.suspending -= 1;
        // Nothing idle: the next run to end calls capacityChanged, and room is made then.
        if (suspended) this.capacityChanged();
      });
  }
}
