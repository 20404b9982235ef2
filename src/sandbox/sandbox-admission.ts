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
import type { AttachedContainer } from "./container-runtime.ts";
import { FairQueue, SlotQueue } from "./fair-queue.ts";
import { isSessionContainer, type SandboxRuntime } from "./sandbox-runtime.ts";

export interface SandboxAdmissionOptions {
  runtime: SandboxRuntime;
  logger: Logger;
  /** Containers alive at once, pooled ones included; 0 for no limit. */
  maxLive: number;
  /** Runs at once; 0 for no limit. */
  maxRunning: number;
  poolSize: number;
  warmUpTimeoutMs: number;
  /** Suspends the least recently used idle session to make room; false when none is idle. */
  suspendIdle: () => Promise<boolean>;
  /** With replicas: the bot processes alive, whose pooled containers are not left-overs. */
  liveOwners?: () => Promise<ReadonlySet<string>>;
}

/** How a session got its container: adopted from an earlier process, from the pool, or new. */
export type ContainerOpening = "adopted" | "pooled" | "created";

/**
 * Told how long requests waited and containers took to open, for metrics. Calls are
 * synchronous; one that throws is logged and ignored, so metrics can never break a run.
 */
export interface AdmissionObserver {
  /** A request's time in the queue for a container or a run slot; 0 when there was room. */
  waited(queue: "container" | "run", ms: number): void;
  /** From the container's turn to a running kernel, by how it was got. */
  opened(how: ContainerOpening, ms: number): void;
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
  private readonly observers: AdmissionObserver[] = [];

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
      ...(options.liveOwners ? { liveOwners: options.liveOwners } : {}),
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

  /** Adds an observer (metrics); it hears about waits and openings from now on. */
  observe(observer: AdmissionObserver): void {
    this.observers.push(observer);
  }

  containerName(key: string): string {
    return this.options.runtime.containerName(key);
  }

  async open(key: string, wait: WaitOptions): Promise<AttachedContainer | null> {
    const { runtime } = this.options;
    const askedAt = performance.now();
    const adopted = await runtime.adoptExisting(key);
    if (adopted) {
      // It is alive already, so it counts whether or not there was room.
      this.held += 1;
      this.tell((o) => o.opened("adopted", performance.now() - askedAt));
      return adopted;
    }
    const queuedAt = performance.now();
    const grant = await this.live.enter(wait.owner, {
      signal: wait.signal,
      onPosition: (ahead) => wait.onStage?.({ stage: "queued", ahead }),
    });
    if (!grant) return null;
    const grantedAt = performance.now();
    this.tell((o) => o.waited("container", grantedAt - queuedAt));
    try {
      let container: AttachedContainer;
      if (grant.pooled) {
        container = await runtime.claim(grant.pooled, key);
      } else {
        wait.onStage?.({ stage: "starting" });
        container = await runtime.create(key);
      }
      this.tell((o) => o.opened(grant.pooled ? "pooled" : "created", performance.now() - grantedAt));
      return container;
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

  wasOomKilled(container: AttachedContainer): Promise<boolean> {
    return this.options.runtime.wasOomKilled(container.id);
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

  /**
   * Why a container's channel broke, in the person's terms: its engine stopped answering (with
   * several engines, asked now), or else what the channel itself said.
   */
  async lossReason(container: AttachedContainer): Promise<string> {
    const engine = await this.options.runtime.engineLoss?.(container.host).catch(() => null);
    return engine ?? container.client.broken ?? "the sandbox container stopped";
  }

  /** The same container attached anew, when its runtime can and it still runs; it stays counted as held. */
  async reattach(container: AttachedContainer): Promise<AttachedContainer | null> {
    const { runtime } = this.options;
    if (!runtime.reattach) return null;
    container.client.close();
    const again = await runtime.reattach(container);
    if (again)
      this.options.logger.info({ container: container.name }, "sandbox channel closed; attached again");
    return again;
  }

  /**
   * Removes the conversation's containers this process is not attached to, wherever they run;
   * how many there were.
   */
  async removeUnattached(key: string): Promise<number> {
    const { runtime } = this.options;
    const found = (await runtime.list()).filter((container) => isSessionContainer(runtime, key, container));
    for (const container of found) await runtime.remove(container.id);
    return found.length;
  }

  async runSlot(wait: WaitOptions): Promise<(() => void) | null> {
    const queuedAt = performance.now();
    const release = await this.runs.enter(wait.owner, {
      signal: wait.signal,
      onPosition: (ahead) => wait.onStage?.({ stage: "queued", ahead }),
    });
    if (!release) return null;
    this.tell((o) => o.waited("run", performance.now() - queuedAt));
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

  private tell(what: (observer: AdmissionObserver) => void): void {
    for (const observer of this.observers) {
      try {
        what(observer);
      } catch (error) {
        this.options.logger.warn({ err: error }, "an admission observer failed");
      }
    }
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
