import { describe, expect, it } from "vitest";
import { FairQueue, SlotQueue } from "../../src/sandbox/fair-queue.ts";
import { Arrivals as Admissions } from "../helpers/arrivals.ts";

interface Admitted {
  label: string;
  release: () => void;
}

/** Queues `label` for `owner` and reports its admission to `admissions`. */
function queueRun(
  slots: SlotQueue,
  admissions: Admissions<Admitted>,
  owner: string,
  label: string,
): Promise<(() => void) | null> {
  const entered = slots.enter(owner);
  void entered.then((release) => {
    if (release) admissions.push({ label, release });
  });
  return entered;
}

/** Takes one slot and keeps it, so everything entered afterwards waits. */
async function holdOnlySlot(slots: SlotQueue): Promise<() => void> {
  const release = await slots.enter("holder");
  if (!release) throw new Error("the first slot should be free");
  return release;
}

/** Frees slots one at a time and returns the labels in the order they were admitted. */
async function admitAll(
  admissions: Admissions<Admitted>,
  first: () => void,
  count: number,
): Promise<string[]> {
  const order: string[] = [];
  first();
  for (let i = 0; i < count; i += 1) {
    const { label, release } = await admissions.next();
    order.push(label);
    release();
  }
  return order;
}

describe("SlotQueue", () => {
  it("admits at once under capacity, queues over it, and a release admits the next", async () => {
    const slots = new SlotQueue(2);
    const first = await slots.enter("alice");
    const second = await slots.enter("bob");
    expect(first).toBeTypeOf("function");
    expect(second).toBeTypeOf("function");
    expect(slots.inUse).toBe(2);

    const third = slots.enter("carol");
    expect(slots.waiting).toBe(1);
    expect(slots.inUse).toBe(2);

    first?.();
    const release = await third;
    expect(release).toBeTypeOf("function");
    expect(slots.waiting).toBe(0);
    expect(slots.inUse).toBe(2);

    release?.();
    second?.();
    expect(slots.inUse).toBe(0);
  });

  it("counts a slot released twice only once", async () => {
    const slots = new SlotQueue(1);
    const release = await holdOnlySlot(slots);
    const admissions = new Admissions<Admitted>();
    void queueRun(slots, admissions, "alice", "a1");
    void queueRun(slots, admissions, "bob", "b1");

    release();
    release();
    expect((await admissions.next()).label).toBe("a1");
    expect(slots.inUse).toBe(1);
    expect(slots.waiting).toBe(1);
  });

  it("never makes anyone wait with capacity 0 (unlimited)", async () => {
    const slots = new SlotQueue(0);
    const releases = await Promise.all(Array.from({ length: 100 }, () => slots.enter("alice")));
    expect(releases.every((release) => typeof release === "function")).toBe(true);
    expect(slots.inUse).toBe(100);
    expect(slots.waiting).toBe(0);
  });

  it("refuses a capacity that is not a whole number", () => {
    expect(() => new SlotQueue(-1)).toThrow(RangeError);
    expect(() => new SlotQueue(1.5)).toThrow(RangeError);
  });
});

describe("FairQueue fairness", () => {
  it("lets one request of a second user in before the second of twenty from the first", async () => {
    const slots = new SlotQueue(1);
    const admissions = new Admissions<Admitted>();
    const holder = await holdOnlySlot(slots);
    const alice = Array.from({ length: 20 }, (_, i) => `a${i + 1}`);
    for (const label of alice) void queueRun(slots, admissions, "alice", label);
    void queueRun(slots, admissions, "bob", "b1");
    expect(slots.waitingByOwner()).toEqual(
      new Map([
        ["alice", 20],
        ["bob", 1],
      ]),
    );

    const order = await admitAll(admissions, holder, 21);

    expect(order.indexOf("b1")).toBeLessThanOrEqual(1);
    expect(order).toEqual(["a1", "b1", ...alice.slice(1)]);
    expect(slots.waiting).toBe(0);
    expect(slots.inUse).toBe(0);
  });

  it("interleaves three owners who each queued in a block", async () => {
    const slots = new SlotQueue(1);
    const admissions = new Admissions<Admitted>();
    const holder = await holdOnlySlot(slots);
    for (const owner of ["a", "b", "c"]) {
      for (let i = 1; i <= 3; i += 1) void queueRun(slots, admissions, owner, `${owner}${i}`);
    }

    const order = await admitAll(admissions, holder, 9);

    expect(order).toEqual(["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"]);
  });

  it("makes a newcomer queue even when admit() would give it a grant", async () => {
    let free = 0;
    const queue = new FairQueue<string>(() => (free > 0 ? `grant-${free--}` : null));
    const waiting = queue.enter("alice");
    free = 1; // capacity freed, but nobody has pumped yet
    const newcomer = queue.enter("bob");
    expect(queue.waiting).toBe(2);
    expect(free).toBe(1);

    queue.pump();
    expect(await waiting).toBe("grant-1");
    expect(queue.waiting).toBe(1);
    free = 1;
    queue.pump();
    expect(await newcomer).toBe("grant-1");
  });

  it("hands generic grants (pooled containers) to waiters in turn", async () => {
    const pool = [{ id: "c1" }, { id: "c2" }];
    const queue = new FairQueue(() => pool.shift() ?? null);
    const giveBack = (container: { id: string }): void => {
      pool.push(container);
      queue.pump();
    };
    const held = [await queue.enter("alice"), await queue.enter("alice")];
    expect(held.map((c) => c?.id)).toEqual(["c1", "c2"]);

    const received: Array<[string, string | undefined]> = [];
    const entered = [
      ["alice", queue.enter("alice")],
      ["alice", queue.enter("alice")],
      ["bob", queue.enter("bob")],
    ] as const;
    for (const [owner, grant] of entered) void grant.then((c) => received.push([owner, c?.id]));
    expect(queue.waiting).toBe(3);

    for (const container of held) if (container) giveBack(container);
    await Promise.all([entered[0][1], entered[2][1]]);
    expect(received).toEqual([
      ["alice", "c1"],
      ["bob", "c2"],
    ]);
    expect(queue.waiting).toBe(1);

    const bobs = await entered[2][1];
    if (bobs) giveBack(bobs);
    expect(await entered[1][1]).toBe(bobs);
    expect(pool).toEqual([]);
  });
});

describe("FairQueue positions", () => {
  it("tells a waiting request its place, without repeats, down to 0", async () => {
    const slots = new SlotQueue(1);
    const admissions = new Admissions<Admitted>();
    const holder = await holdOnlySlot(slots);
    const told = new Map<string, number[]>();
    const enter = (owner: string, label: string): void => {
      const positions: number[] = [];
      told.set(label, positions);
      void slots.enter(owner, { onPosition: (ahead) => positions.push(ahead) }).then((release) => {
        if (release) admissions.push({ label, release });
      });
    };
    enter("alice", "a1");
    enter("alice", "a2");
    enter("alice", "a3");
    enter("bob", "b1");
    enter("bob", "b2");

    const order = await admitAll(admissions, holder, 5);

    expect(order).toEqual(["a1", "b1", "a2", "b2", "a3"]);
    expect(told.get("a1")).toEqual([0]);
    expect(told.get("b1")).toEqual([1, 0]);
    expect(told.get("b2")).toEqual([3, 2, 1, 0]);
    // Bob joining the rotation puts his requests ahead of Alice's later ones.
    expect(told.get("a3")).toEqual([2, 3, 4, 3, 2, 1, 0]);
  });

  it("does not call onPosition for a request admitted without waiting", async () => {
    const slots = new SlotQueue(1);
    const positions: number[] = [];
    const release = await slots.enter("alice", { onPosition: (ahead) => positions.push(ahead) });
    expect(release).toBeTypeOf("function");
    expect(positions).toEqual([]);
  });

  it("keeps going when an onPosition listener throws", async () => {
    const slots = new SlotQueue(1);
    const holder = await holdOnlySlot(slots);
    const failing = slots.enter("alice", {
      onPosition: () => {
        throw new Error("listener bug");
      },
    });
    const positions: number[] = [];
    const next = slots.enter("bob", { onPosition: (ahead) => positions.push(ahead) });
    holder();
    (await failing)?.();
    expect(await next).toBeTypeOf("function");
    expect(positions).toEqual([1, 0]);
  });
});

describe("FairQueue abort", () => {
  it("withdraws an aborted request, updates the others, and gives its slot to the next", async () => {
    const slots = new SlotQueue(1);
    const admissions = new Admissions<Admitted>();
    const holder = await holdOnlySlot(slots);
    const controller = new AbortController();
    const a2Positions: number[] = [];
    void queueRun(slots, admissions, "alice", "a1");
    const b1 = slots.enter("bob", { signal: controller.signal });
    void slots.enter("alice", { onPosition: (ahead) => a2Positions.push(ahead) }).then((release) => {
      if (release) admissions.push({ label: "a2", release });
    });
    expect(a2Positions).toEqual([2]);

    controller.abort();
    expect(await b1).toBeNull();
    expect(slots.waiting).toBe(2);
    expect(slots.waitingByOwner()).toEqual(new Map([["alice", 2]]));
    expect(slots.inUse).toBe(1);
    expect(a2Positions).toEqual([2, 1]);

    const order = await admitAll(admissions, holder, 2);
    expect(order).toEqual(["a1", "a2"]);
    expect(a2Positions).toEqual([2, 1, 0]);
    expect(slots.inUse).toBe(0);
  });

  it("passes the first place on when the request at the front is aborted", async () => {
    const slots = new SlotQueue(1);
    const admissions = new Admissions<Admitted>();
    const holder = await holdOnlySlot(slots);
    const controller = new AbortController();
    const first = slots.enter("alice", { signal: controller.signal });
    void queueRun(slots, admissions, "bob", "b1");

    controller.abort();
    expect(await first).toBeNull();
    holder();
    expect((await admissions.next()).label).toBe("b1");
    expect(slots.inUse).toBe(1);
  });

  it("resolves null at once for an already aborted signal, without asking for a grant", async () => {
    let asked = 0;
    const queue = new FairQueue(() => {
      asked += 1;
      return "grant";
    });
    expect(await queue.enter("alice", { signal: AbortSignal.abort() })).toBeNull();
    expect(asked).toBe(0);
    expect(queue.waiting).toBe(0);
  });

  it("does not grant a request whose signal aborted before its own listener ran", async () => {
    const slots = new SlotQueue(1);
    const admissions = new Admissions<Admitted>();
    const holder = await holdOnlySlot(slots);
    const controller = new AbortController();
    // The caller's own clean-up frees the slot on abort, before the queue hears of it.
    controller.signal.addEventListener("abort", holder);
    const aborted = slots.enter("alice", { signal: controller.signal });
    void queueRun(slots, admissions, "bob", "b1");

    controller.abort();
    expect(await aborted).toBeNull();
    expect((await admissions.next()).label).toBe("b1");
    expect(slots.inUse).toBe(1);
    expect(slots.waiting).toBe(0);
  });

  it("keeps a grant given after admit() itself withdrew the only waiter, for the next request", async () => {
    const controller = new AbortController();
    let grants = 0;
    let open = false;
    const queue = new FairQueue(() => {
      if (!open) return null;
      controller.abort();
      grants += 1;
      return `grant-${grants}`;
    });
    const waiter = queue.enter("alice", { signal: controller.signal });
    open = true;
    queue.pump();
    expect(await waiter).toBeNull();
    expect(await queue.enter("bob")).toBe("grant-1");
    expect(grants).toBe(1);
  });

  it("keeps a grant once given, even if the signal aborts afterwards", async () => {
    const slots = new SlotQueue(1);
    const controller = new AbortController();
    const release = await slots.enter("alice", { signal: controller.signal });
    controller.abort();
    expect(release).toBeTypeOf("function");
    expect(slots.inUse).toBe(1);
  });

  it("treats an admit() that throws as no capacity, and admits on a later pump", async () => {
    let broken = true;
    const queue = new FairQueue(() => {
      if (broken) throw new Error("pool is confused");
      return "grant";
    });
    const waiter = queue.enter("alice");
    expect(queue.waiting).toBe(1);
    broken = false;
    queue.pump();
    expect(await waiter).toBe("grant");
  });
});

describe("FairQueue under load and re-entrancy", () => {
  it("admits 50 requests from 5 owners exactly once, never more than 3 at a time", async () => {
    const capacity = 3;
    const slots = new SlotQueue(capacity);
    const admitted = new Admissions<number>();
    const holds = new Map<number, () => void>();
    const admissions = new Map<number, number>();
    let running = 0;
    let mostRunning = 0;

    const run = async (index: number): Promise<void> => {
      const release = await slots.enter(`owner-${index % 5}`);
      if (!release) throw new Error(`request ${index} was refused`);
      admissions.set(index, (admissions.get(index) ?? 0) + 1);
      running += 1;
      mostRunning = Math.max(mostRunning, running, slots.inUse);
      await new Promise<void>((resolve) => {
        holds.set(index, resolve);
        admitted.push(index);
      });
      running -= 1;
      release();
    };
    const runs = Array.from({ length: 50 }, (_, index) => run(index));

    // Finish held runs in a scrambled but fixed order, so slots free up out of admission order.
    let seed = 7;
    const held: number[] = [];
    let taken = 0;
    while (taken < 50 || held.length > 0) {
      if (taken < 50 && held.length < capacity) {
        held.push(await admitted.next());
        taken += 1;
        continue;
      }
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const [index] = held.splice(seed % held.length, 1);
      if (index !== undefined) holds.get(index)?.();
    }
    await Promise.all(runs);

    expect(admissions.size).toBe(50);
    expect([...admissions.values()].every((n) => n === 1)).toBe(true);
    expect(mostRunning).toBeLessThanOrEqual(capacity);
    expect(slots.inUse).toBe(0);
    expect(slots.waiting).toBe(0);
  });

  it("does not double-admit when a slot is released from inside the queue's own callbacks", async () => {
    const slots = new SlotQueue(2);
    const admissions = new Admissions<Admitted>();
    const first = await slots.enter("holder");
    const second = await slots.enter("holder");
    if (!first || !second) throw new Error("both slots should be free");
    let peak = 0;
    const watch = (): void => {
      peak = Math.max(peak, slots.inUse);
    };
    void queueRun(slots, admissions, "alice", "a1");
    void queueRun(slots, admissions, "alice", "a2");
    // When b1 learns it is next, its owner frees the other held slot, pumping from inside the pump.
    void slots
      .enter("bob", {
        onPosition: (ahead) => {
          watch();
          if (ahead === 0) second();
          watch();
        },
      })
      .then((release) => {
        if (release) admissions.push({ label: "b1", release });
      });

    first();
    first();
    const labels = [(await admissions.next()).label, (await admissions.next()).label];
    expect(labels).toEqual(["a1", "b1"]);
    expect(slots.inUse).toBe(2);
    expect(slots.waiting).toBe(1);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it("neither loops nor double-admits when admit() itself pumps", async () => {
    const pool: string[] = [];
    const queue: FairQueue<string> = new FairQueue(() => {
      // For example: the live-container gate evicts an idle container, whose release pumps.
      queue.pump();
      return pool.shift() ?? null;
    });
    const waiters = [queue.enter("alice"), queue.enter("bob"), queue.enter("carol")];
    expect(queue.waiting).toBe(3);

    pool.push("x", "y");
    queue.pump();
    expect(await waiters[0]).toBe("x");
    expect(await waiters[1]).toBe("y");
    expect(queue.waiting).toBe(1);

    pool.push("z");
    queue.pump();
    expect(await waiters[2]).toBe("z");
    expect(pool).toEqual([]);
  });
});
