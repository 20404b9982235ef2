/**
 * Containers started and warmed before anyone asks, so a new conversation (or one coming back
 * after suspension) pays no container start and no first import. Each waits with its kernel
 * running and the data stack loaded (SupervisorClient.warmUp). The pool refills one container
 * at a time in the background, only into room the live limit leaves (`mayGrow`), never holds a
 * container of an outdated image, and drops one that dies while it waits.
 */
import type { Logger } from "../logger.ts";
import type { AttachedContainer } from "./container-runtime.ts";
import type { SandboxRuntime } from "./sandbox-runtime.ts";

export interface ContainerPoolOptions {
  runtime: SandboxRuntime;
  /** How many warm containers to keep waiting; 0 turns the pool off. */
  size: number;
  logger: Logger;
  /** Whether one more container may start now: the live limit has room and nobody waits for it. */
  mayGrow: () => boolean;
  /** Told when a container became ready, so a request waiting for one can have it. */
  onReady: () => void;
  /**
   * Told when a start ended without a container (it failed, or was thrown away), so a request
   * waiting for a container can have the room it held.
   */
  onRoomFreed: () => void;
  warmUpTimeoutMs: number;
  /**
   * The bot processes alive on the shared store (replicas), whose pooled containers are theirs
   * and not left-overs; absent, every pooled container of the scope is a left-over at start.
   */
  liveOwners?: () => Promise<ReadonlySet<string>>;
}

/** After a failed start, wait this long before the next (doubling up to the maximum). */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 60_000;

export class ContainerPool {
  private readonly ready: AttachedContainer[] = [];
  private starting = 0;
  private closed = false;
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: ContainerPoolOptions) {}

  /** Containers the pool holds, started or starting: they count as live. */
  get count(): number {
    return this.ready.length + this.starting;
  }

  get readyCount(): number {
    return this.ready.length;
  }

  get size(): number {
    return this.options.size;
  }

  /** Removes pooled containers a crashed process left behind, then fills the pool. */
  async start(): Promise<void> {
    if (this.options.size <= 0) return;
    const { runtime, liveOwners } = this.options;
    // A live replica's are its own: removing them would break the containers it is about to hand out.
    const alive = liveOwners ? await liveOwners() : new Set<string>();
    const leftovers = (await runtime.list()).filter(
      (container) => container.pooled && !(container.owner !== null && alive.has(container.owner)),
    );
    await Promise.all(leftovers.map((container) => runtime.remove(container.id)));
    this.fill();
  }

  /**
   * A warm container, or null when none is ready. The taker counts it as its own and then calls
   * fill(): refilling first would see one container too few alive and overrun the live limit.
   */
  take(): AttachedContainer | null {
    for (;;) {
      const container = this.ready.shift();
      if (!container) break;
      if (!container.client.broken) return container;
      void this.discard(container);
    }
    return null;
  }

  /** Starts containers while the pool is short and the live limit has room; one at a time. */
  fill(): void {
    // When the one starting is ready, fill runs again.
    if (this.starting > 0 && !this.closed) return;
    const full = this.count >= this.options.size || !this.options.mayGrow();
    if (this.closed || this.retryTimer || full) {
      this.notifyIdle();
      return;
    }
    this.starting += 1;
    let pooled = false;
    void this.startOne()
      .then((added) => {
        pooled = added;
      })
      .finally(() => {
        this.starting -= 1;
        // While anyone waits for a container the pool may not grow into this room (mayGrow), and
        // nothing else would tell them it is free: without this they could wait forever.
        if (!pooled) this.options.onRoomFreed();
        this.fill();
      });
  }

  /**
   * Looks at the image again; when the tag now names a rebuilt image, the waiting containers
   * are replaced. Sessions keep theirs until they next start one.
   */
  async refresh(): Promise<void> {
    if (this.options.size <= 0 || !(await this.options.runtime.refreshImage())) return;
    const { runtime } = this.options;
    const current = await Promise.all(this.ready.map((container) => runtime.isCurrentImage(container)));
    const outdated = this.ready.filter((_, index) => !current[index]);
    for (const container of outdated) this.ready.splice(this.ready.indexOf(container), 1);
    this.options.logger.info(
      { replaced: outdated.length },
      "sandbox image changed; replacing pooled containers",
    );
    await Promise.all(outdated.map((container) => this.discard(container)));
    this.fill();
  }

  /** Resolves when the pool is full, or cannot grow (the live limit): for tests and the benchmark. */
  whenSettled(): Promise<void> {
    return new Promise((resolve) => {
      this.idle.add(resolve);
      this.fill();
    });
  }

  /** Stops refilling and removes every waiting container (they hold nothing of anyone's). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const waiting = this.ready.splice(0);
    await Promise.all(waiting.map((container) => this.discard(container)));
    this.notifyIdle();
  }

  /** True when the container joined the pool. */
  private async startOne(): Promise<boolean> {
    const { runtime, logger } = this.options;
    let container: AttachedContainer | null = null;
    try {
      container = await runtime.createPooled();
      await container.client.warmUp(this.options.warmUpTimeoutMs);
      this.retryMs = 0;
    } catch (error) {
      if (container) await this.discard(container);
      this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_FIRST_MS, this.retryMs * 2));
      logger.warn({ err: error, retryInMs: this.retryMs }, "could not start a pooled sandbox container");
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.fill();
      }, this.retryMs);
      this.retryTimer.unref();
      return false;
    }
    if (this.closed || !(await runtime.isCurrentImage(container).catch(() => true))) {
      await this.discard(container);
      return false;
    }
    const ready = container;
    // A container that dies while it waits is of no use to anyone.
    ready.client.once("broken", () => {
      const index = this.ready.indexOf(ready);
      if (index < 0) return;
      this.ready.splice(index, 1);
      void this.discard(ready).finally(() => this.fill());
    });
    this.ready.push(ready);
    logger.debug({ container: ready.name, ready: this.ready.length }, "pooled sandbox container ready");
    this.options.onReady();
    return true;
  }

  private async discard(container: AttachedContainer): Promise<void> {
    container.client.close();
    await this.options.runtime
      .remove(container.id)
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, "could not remove a pooled container"),
      );
  }

  private notifyIdle(): void {
    const waiting = [...this.idle];
    this.idle.clear();
    for (const resolve of waiting) resolve();
  }
}
