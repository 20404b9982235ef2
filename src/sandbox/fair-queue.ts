/**
 * Admission that takes turns between owners. When more runs (or containers) are wanted than the
 * host allows, first come first served lets one user who sends twenty requests make everyone
 * else wait behind all twenty. Here each owner has its own line and the lines are served in
 * rotation, so a newcomer waits for at most one request of each other owner per round.
 *
 * It is generic over what a grant is, so the "runs at once" gate (a slot) and the "containers
 * alive at once" gate (a pooled container, or leave to start one) share this one piece of logic.
 * It has no clock, no I/O and no logger: capacity is the caller's, told through `admit` and
 * `pump()`, which keeps the queue testable without Docker.
 */

export interface QueueWaitOptions {
  /** Aborting while waiting withdraws the request: enter() resolves null and nothing is held. */
  signal?: AbortSignal | undefined;
  /**
   * Called with how many requests will be admitted before this one: at once when it has to wait,
   * then whenever that number changes (never twice with the same number). It may go up as well as
   * down: a new owner joins the rotation ahead of an owner's second and later requests. Not called
   * when admitted without waiting. A listener that throws is ignored.
   */
  onPosition?: ((ahead: number) => void) | undefined;
}

/** One waiting request. */
interface Waiter<G> {
  readonly line: Line<G>;
  readonly signal: AbortSignal | undefined;
  readonly onPosition: ((ahead: number) => void) | undefined;
  readonly settle: (grant: G | null) => void;
  /** The position onPosition was last told; -1 before the first. */
  told: number;
  done: boolean;
}

/** One owner's waiting requests, oldest first. */
interface Line<G> {
  readonly owner: string;
  readonly waiters: Waiter<G>[];
}

export class FairQueue<G> {
  /** Owners with a request waiting, in the order they will be served. */
  private readonly rotation: Line<G>[] = [];
  private readonly lines = new Map<string, Line<G>>();
  private count = 0;
  /** A grant whose waiter was withdrawn by admit() itself; the next request gets it. */
  private spare: { grant: G } | null = null;
  private draining = false;
  /** admit() is running. */
  private asking = false;
  private pumpWanted = false;
  private positionsStale = false;

  /**
   * `admit` hands out one grant if capacity allows now, else null. It is called only when someone
   * may be admitted. It should not throw; if it does, that counts as "no capacity now" (nothing is
   * logged: the queue has no logger) and the requests wait for the next pump(). Capacity it frees
   * itself must show in its own answer: a pump() from inside admit() is ignored.
   */
  constructor(private readonly admit: () => G | null) {}

  /**
   * Resolves with a grant, at once if nobody waits and admit() gives one, else when this
   * request's turn comes; null if the signal aborted first (or already had). Once resolved with a
   * grant, the grant is the caller's, even if the signal aborts afterwards.
   */
  enter(owner: string, options: QueueWaitOptions = {}): Promise<G | null> {
    const { signal, onPosition } = options;
    if (signal?.aborted) return Promise.resolve(null);
    if (this.count === 0) {
      // Nobody to overtake. Someone waiting always goes first, even if capacity is free now.
      const grant = this.nextGrant();
      if (grant !== null) return Promise.resolve(grant);
    }
    return new Promise<G | null>((resolve) => {
      let line = this.lines.get(owner);
      if (!line) {
        line = { owner, waiters: [] };
        this.lines.set(owner, line);
        this.rotation.push(line);
      }
      const onAbort = (): void => this.withdraw(waiter);
      const waiter: Waiter<G> = {
        line,
        signal,
        onPosition,
        told: -1,
        done: false,
        settle: (grant) => {
          waiter.done = true;
          signal?.removeEventListener("abort", onAbort);
          resolve(grant);
        },
      };
      line.waiters.push(waiter);
      this.count += 1;
      signal?.addEventListener("abort", onAbort, { once: true });
      this.positionsStale = true;
      this.drain();
    });
  }

  /**
   * Capacity may have freed (a run ended, a container went away): admits waiting requests while
   * admit() gives grants. Safe to call at any time, also from a grant's release or an onPosition
   * listener while a pump runs (that pump does the work). From inside admit() it does nothing.
   */
  pump(): void {
    // A pump from inside admit() (say, it evicted an idle container) is answered by that same
    // admit() call; asking again would loop for as long as admit() keeps pumping and saying no.
    if (this.asking) return;
    this.pumpWanted = true;
    this.drain();
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.count;
  }

  /** Waiting requests per owner, in the order the owners will be served, for status and metrics. */
  waitingByOwner(): Map<string, number> {
    return new Map(this.rotation.map((line) => [line.owner, line.waiters.length]));
  }

  /**
   * The one loop that changes the queue and calls out. Listeners and admit() may call back in;
   * those calls only raise a flag, and this loop goes round until nothing is left to do, so no
   * request is admitted twice and positions are told from a settled queue.
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pumpWanted || this.positionsStale) {
        if (this.pumpWanted) {
          this.pumpWanted = false;
          this.admitWaiting();
        } else {
          this.positionsStale = false;
          this.tellPositions();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private admitWaiting(): void {
    while (this.firstLive()) {
      const grant = this.nextGrant();
      if (grant === null) return;
      // admit() is someone else's code and may have withdrawn the request it was asked for, so
      // the grant goes to whoever is first now; with nobody left it is kept, never lost.
      const waiter = this.firstLive();
      if (!waiter) {
        this.spare = { grant };
        return;
      }
      const line = waiter.line;
      line.waiters.shift();
      this.rotation.shift();
      if (line.waiters.length > 0) this.rotation.push(line);
      else this.lines.delete(line.owner);
      this.count -= 1;
      waiter.settle(grant);
      this.positionsStale = true;
    }
  }

  /**
   * The request to admit next. Its abort listener may not have run yet (another listener on the
   * same signal can pump first), so an aborted one is withdrawn here rather than granted.
   */
  private firstLive(): Waiter<G> | undefined {
    for (;;) {
      const waiter = this.rotation[0]?.waiters[0];
      if (!waiter?.signal?.aborted) return waiter;
      this.withdraw(waiter);
    }
  }

  private withdraw(waiter: Waiter<G>): void {
    if (waiter.done) return;
    const line = waiter.line;
    line.waiters.splice(line.waiters.indexOf(waiter), 1);
    if (line.waiters.length === 0) {
      this.rotation.splice(this.rotation.indexOf(line), 1);
      this.lines.delete(line.owner);
    }
    this.count -= 1;
    waiter.settle(null);
    this.positionsStale = true;
    this.drain();
  }

  private nextGrant(): G | null {
    if (this.spare) {
      const { grant } = this.spare;
      this.spare = null;
      return grant;
    }
    this.asking = true;
    try {
      return this.admit();
    } catch {
      // Documented on the constructor: a throwing admit() is "no capacity now".
      return null;
    } finally {
      this.asking = false;
    }
  }

  /**
   * Walks the rotation as admission would (round by round, each owner's next request in turn)
   * and tells each waiter its place if it changed. Queues are small (hundreds at most), so a full
   * walk per change is cheaper to trust than incremental bookkeeping.
   */
  private tellPositions(): void {
    let ahead = 0;
    for (let round = 0; ; round += 1) {
      let anyone = false;
      for (const line of this.rotation) {
        const waiter = line.waiters[round];
        if (!waiter) continue;
        anyone = true;
        if (waiter.onPosition && waiter.told !== ahead) {
          waiter.told = ahead;
          try {
            waiter.onPosition(ahead);
          } catch {
            // A faulty listener must not stall the queue.
          }
          // The listener changed the queue (entered, withdrew, released): drain() walks it again.
          if (this.positionsStale || this.pumpWanted) return;
        }
        ahead += 1;
      }
      if (!anyone) return;
    }
  }
}

/**
 * The counting case: grants are slots of a fixed capacity, handed back by calling them.
 * Releasing a slot pumps the queue, so the next request in rotation gets it.
 */
export class SlotQueue {
  private readonly queue: FairQueue<() => void>;
  private used = 0;

  /** `capacity` 0 means unlimited: nobody ever waits. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`a slot capacity must be a whole number, 0 for unlimited; got ${capacity}`);
    }
    this.queue = new FairQueue(() => this.take());
  }

  /** Resolves with the slot's release (calling it again does nothing), or null if aborted first. */
  enter(owner: string, options?: QueueWaitOptions): Promise<(() => void) | null> {
    return this.queue.enter(owner, options);
  }

  /** Slots held now. */
  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.queue.waiting;
  }

  waitingByOwner(): Map<string, number> {
    return this.queue.waitingByOwner();
  }

  private take(): (() => void) | null {
    if (this.capacity > 0 && this.used >= this.capacity) return null;
    this.used += 1;
    let released = false;
    return () => {
      // Release paths (finally blocks, abort handlers, close) often overlap; count each slot once.
      if (released) return;
      released = true;
      this.used -= 1;
      this.queue.pump();
    };
  }
}
