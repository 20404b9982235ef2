import { describe, expect, it } from "vitest";
import { FairQueue, SlotQueue } from "../../src/sandbox/fair-queue.ts";
import { Arrivals as Admissions } from "../helpers/arrivals.ts";
import { type Admitted, admitAll, holdOnlySlot, queueRun } from "../helpers/fair-queue-fixtures.ts";

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
