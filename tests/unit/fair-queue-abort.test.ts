import { describe, expect, it } from "vitest";
import { FairQueue, SlotQueue } from "../../src/sandbox/fair-queue.ts";
import { Arrivals as Admissions } from "../helpers/arrivals.ts";
import { type Admitted, admitAll, holdOnlySlot, queueRun } from "../helpers/fair-queue-fixtures.ts";

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
