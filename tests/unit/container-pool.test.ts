import { afterEach, describe, expect, it, vi } from "vitest";
import { ContainerPool } from "../../src/sandbox/container-pool.ts";
import {
  capturingLogger,
  Deferred,
  FakeContainerRuntime,
  type LogLine,
  settled,
  WARN,
} from "../fakes/sandbox/fake-container-runtime.ts";

const WARM_UP_TIMEOUT_MS = 5_000;

interface PoolUnderTest {
  pool: ContainerPool;
  runtime: FakeContainerRuntime;
  logs: LogLine[];
  /** How often the pool said a container became ready, and that a start ended without one. */
  told: { ready: number; roomFreed: number };
}

/** A pool on a fake runtime; `mayGrow` answers the pool's "is there room for one more?". */
function poolOf(
  size: number,
  mayGrow: () => boolean = () => true,
  liveOwners?: () => Promise<ReadonlySet<string>>,
): PoolUnderTest {
  const runtime = new FakeContainerRuntime();
  const { logger, lines } = capturingLogger();
  const told = { ready: 0, roomFreed: 0 };
  const pool = new ContainerPool({
    runtime: runtime.asRuntime(),
    size,
    logger,
    mayGrow,
    onReady: () => {
      told.ready += 1;
    },
    onRoomFreed: () => {
      told.roomFreed += 1;
    },
    warmUpTimeoutMs: WARM_UP_TIMEOUT_MS,
    ...(liveOwners ? { liveOwners } : {}),
  });
  return { pool, runtime, logs: lines, told };
}

/** Lets the next `count` starts succeed as the pool asks for them, then waits until it is full. */
async function fillUp({ pool, runtime }: PoolUnderTest, count: number): Promise<void> {
  pool.fill();
  for (let i = 0; i < count; i += 1) (await runtime.starts.next()).succeed();
  await pool.whenSettled();
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ContainerPool filling", () => {
  it("starts one container at a time up to its size, only while mayGrow() says so", async () => {
    let room = true;
    const { pool, runtime } = poolOf(3, () => room);

    pool.fill();
    pool.fill();
    expect(runtime.started).toHaveLength(1);
    expect(pool.count).toBe(1);
    expect(pool.readyCount).toBe(0);

    const first = await runtime.starts.next();
    expect(first.kind).toBe("pooled");
    first.succeed();
    const second = await runtime.starts.next();
    // The next start began only once the first container was ready.
    expect(pool.readyCount).toBe(1);
    expect(runtime.unfinishedStarts).toEqual([second]);

    room = false;
    second.succeed();
    await pool.whenSettled();
    expect(pool.readyCount).toBe(2);
    expect(runtime.started).toHaveLength(2);

    room = true;
    const full = pool.whenSettled();
    const third = await runtime.starts.next();
    third.succeed();
    await full;
    expect(pool.readyCount).toBe(3);
    expect(pool.count).toBe(3);
    pool.fill();
    expect(runtime.started).toHaveLength(3);
    expect(runtime.peakAlive).toBe(3);
  });

  it("warms each container before anyone can take it", async () => {
    const { pool, runtime } = poolOf(1);
    pool.fill();
    const start = await runtime.starts.next();
    start.client.warmUpGate = new Deferred<void>();
    start.succeed();

    expect(await start.client.warmUpCalls.next()).toBe(WARM_UP_TIMEOUT_MS);
    expect(pool.take()).toBeNull();
    expect(pool.count).toBe(1);

    const full = pool.whenSettled();
    start.client.warmUpGate.resolve();
    await full;
    expect(pool.take()?.id).toBe(start.id);
  });

  it("hands out warm containers oldest first and refills only when the taker calls fill()", async () => {
    const under = poolOf(2);
    const { pool, runtime } = under;
    await fillUp(under, 2);
    const [first, second] = runtime.started;

    const taken = pool.take();
    expect(taken?.id).toBe(first?.id);
    expect(taken?.client.broken).toBeNull();
    // The taker counts it now; the pool has not started a replacement on its own.
    expect(pool.count).toBe(1);
    expect(runtime.started).toHaveLength(2);

    pool.fill();
    const refill = await runtime.starts.next();
    refill.succeed();
    await pool.whenSettled();
    expect(pool.readyCount).toBe(2);
    expect(pool.take()?.id).toBe(second?.id);
    expect(pool.take()?.id).toBe(refill.id);
    expect(pool.take()).toBeNull();
    // Taken containers are the taker's: the pool neither closed nor removed them.
    expect(runtime.removed).toEqual([]);
    expect(taken && runtime.clientOf(taken).closed).toBe(false);
  });

  it("tells its owner each time a container becomes ready", async () => {
    const under = poolOf(2);
    await fillUp(under, 2);
    expect(under.told).toEqual({ ready: 2, roomFreed: 0 });
  });

  it("removes pooled containers a crashed process left, and only those, before filling", async () => {
    const under = poolOf(1);
    const { pool, runtime } = under;
    const leftover = {
      name: "cib-test-pool-old",
      sessionKey: null,
      imageId: runtime.image,
      createdAt: "2024-01-01T00:00:00.000Z",
      running: true,
      status: "Up",
      owner: null,
      host: "fake",
    };
    runtime.leftovers = [
      { ...leftover, id: "old-pooled", pooled: true },
      { ...leftover, id: "old-session", name: "cib-test-a", sessionKey: "a", pooled: false },
    ];

    await pool.start();
    expect(runtime.removed).toEqual(["old-pooled"]);
    (await runtime.starts.next()).succeed();
    await pool.whenSettled();
    expect(pool.readyCount).toBe(1);
  });

  it("leaves the pooled containers of replicas alive on the shared store, and removes a dead one's", async () => {
    const under = poolOf(
      1,
      () => true,
      async () => new Set(["replica-alive"]),
    );
    const { pool, runtime } = under;
    const pooled = {
      sessionKey: null,
      imageId: runtime.image,
      createdAt: "2024-01-01T00:00:00.000Z",
      running: true,
      status: "Up",
      pooled: true,
      host: "fake",
    };
    runtime.leftovers = [
      { ...pooled, id: "alive", name: "cib-test-pool-a", owner: "replica-alive" },
      { ...pooled, id: "dead", name: "cib-test-pool-b", owner: "replica-dead" },
      { ...pooled, id: "unlabelled", name: "cib-test-pool-c", owner: null },
    ];

    await pool.start();
    expect(runtime.removed.sort()).toEqual(["dead", "unlabelled"]);
    (await runtime.starts.next()).succeed();
    await pool.whenSettled();
  });

  it("does nothing with size 0", async () => {
    const { pool, runtime } = poolOf(0);
    runtime.leftovers = [
      {
        id: "old-pooled",
        name: "cib-test-pool-old",
        sessionKey: null,
        pooled: true,
        imageId: runtime.image,
        createdAt: "2024-01-01T00:00:00.000Z",
        running: true,
        status: "Up",
        owner: null,
        host: "fake",
      },
    ];
    await pool.start();
    pool.fill();
    await pool.whenSettled();
    await pool.refresh();
    expect(runtime.started).toEqual([]);
    expect(runtime.removed).toEqual([]);
  });
});

describe("ContainerPool failures", () => {
  it("logs a failed start and retries after a backoff that doubles, without spinning", async () => {
    // Fake timers only stand in for the backoff's setTimeout; the work is awaited through promises.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { pool, runtime, logs, told } = poolOf(1);
    pool.fill();

    const failing = await runtime.starts.next();
    const backingOff = pool.whenSettled();
    failing.fail(new Error("no space left on device"));
    await backingOff;
    // The room the start held is free: someone waiting for a container may have it.
    expect(told).toEqual({ ready: 0, roomFreed: 1 });
    const warnings = logs.filter((line) => line.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: "could not start a pooled sandbox container",
      retryInMs: 1_000,
      err: { message: "no space left on device" },
    });
    expect(pool.count).toBe(0);

    // Nothing starts while the backoff runs, however often it is asked to fill.
    pool.fill();
    pool.fill();
    vi.advanceTimersByTime(999);
    expect(runtime.started).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(runtime.started).toHaveLength(2);

    const again = await runtime.starts.next();
    const backingOffLonger = pool.whenSettled();
    again.fail(new Error("no space left on device"));
    await backingOffLonger;
    expect(logs.filter((line) => line.level === WARN).at(-1)?.retryInMs).toBe(2_000);
    vi.advanceTimersByTime(1_999);
    expect(runtime.started).toHaveLength(2);
    vi.advanceTimersByTime(1);

    const third = await runtime.starts.next();
    third.succeed();
    await pool.whenSettled();
    expect(pool.readyCount).toBe(1);
    expect(runtime.started).toHaveLength(3);
  });

  it("removes a container that could not warm up, then retries", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { pool, runtime, logs } = poolOf(1);
    pool.fill();

    const cold = await runtime.starts.next();
    cold.client.warmUpGate = new Deferred<void>();
    cold.client.warmUpGate.reject(new Error("the kernel could not warm up (timeout)"));
    const backingOff = pool.whenSettled();
    cold.succeed();
    await backingOff;
    expect(runtime.removed).toEqual([cold.id]);
    expect(cold.client.closed).toBe(true);
    expect(logs.filter((line) => line.level === WARN)).toHaveLength(1);
    expect(pool.count).toBe(0);

    vi.advanceTimersByTime(1_000);
    const retry = await runtime.starts.next();
    retry.succeed();
    await pool.whenSettled();
    expect(pool.take()?.id).toBe(retry.id);
  });

  it("removes and replaces a waiting container whose channel breaks", async () => {
    const under = poolOf(2);
    const { pool, runtime } = under;
    await fillUp(under, 2);
    const [dying, healthy] = runtime.started;
    if (!dying || !healthy) throw new Error("the pool should have started two containers");

    dying.client.breakChannel("the sandbox process exited");
    expect(await runtime.removals.next()).toBe(dying.id);
    expect(pool.readyCount).toBe(1);
    const replacement = await runtime.starts.next();
    replacement.succeed();
    await pool.whenSettled();

    expect(pool.take()?.id).toBe(healthy.id);
    expect(pool.take()?.id).toBe(replacement.id);
    expect(runtime.removed).toEqual([dying.id]);
  });

  it("skips (and removes) a broken container when handing one out", async () => {
    const under = poolOf(2);
    const { pool, runtime } = under;
    await fillUp(under, 2);
    const [broken, healthy] = runtime.started;
    if (!broken || !healthy) throw new Error("the pool should have started two containers");
    // Broken, but the event has not been delivered yet.
    broken.client.broken = "the sandbox process exited";

    expect(pool.take()?.id).toBe(healthy.id);
    expect(await runtime.removals.next()).toBe(broken.id);
  });

  it("leaves a container it handed out alone when that one breaks", async () => {
    const under = poolOf(1);
    const { pool, runtime } = under;
    await fillUp(under, 1);
    const taken = pool.take();
    if (!taken) throw new Error("the pool should have a container");

    runtime.clientOf(taken).breakChannel("the sandbox process exited");
    expect(runtime.removed).toEqual([]);
    expect(runtime.started).toHaveLength(1);
  });
});

describe("ContainerPool refresh", () => {
  it("replaces waiting containers of an outdated image", async () => {
    const under = poolOf(2);
    const { pool, runtime } = under;
    await fillUp(under, 2);
    const outdated = runtime.started.map((start) => start.id);

    runtime.image = "sha256:image-2";
    await pool.refresh();
    expect(runtime.removed).toEqual(outdated);
    expect(runtime.started.slice(0, 2).every((start) => start.client.closed)).toBe(true);
    expect(pool.readyCount).toBe(0);

    // refresh() started the first replacement already; fillUp picks it up.
    await fillUp(under, 2);
    const fresh = [pool.take(), pool.take()];
    expect(fresh.map((container) => container?.imageId)).toEqual(["sha256:image-2", "sha256:image-2"]);
    expect(fresh.map((container) => container?.id)).not.toContain(outdated[0]);
  });

  it("does nothing when the image has not changed", async () => {
    const under = poolOf(2);
    const { pool, runtime } = under;
    await fillUp(under, 2);

    await pool.refresh();
    expect(runtime.removed).toEqual([]);
    expect(runtime.started).toHaveLength(2);
    expect(pool.readyCount).toBe(2);
  });

  it("does not pool a container that finished starting from the image just replaced", async () => {
    const under = poolOf(1);
    const { pool, runtime } = under;
    pool.fill();
    const old = await runtime.starts.next();

    runtime.image = "sha256:image-2";
    await pool.refresh();
    old.succeed();
    expect(await runtime.removals.next()).toBe(old.id);
    const fresh = await runtime.starts.next();
    expect(fresh.imageId).toBe("sha256:image-2");
    expect(under.told).toEqual({ ready: 0, roomFreed: 1 });
    fresh.succeed();
    await pool.whenSettled();
    expect(pool.take()?.id).toBe(fresh.id);
  });
});

describe("ContainerPool close", () => {
  it("removes every waiting container and stops refilling", async () => {
    const under = poolOf(3);
    const { pool, runtime } = under;
    pool.fill();
    (await runtime.starts.next()).succeed();
    (await runtime.starts.next()).succeed();
    const inFlight = await runtime.starts.next();
    const [first, second] = runtime.started;
    if (!first || !second) throw new Error("the pool should have started two containers");

    await pool.close();
    expect(runtime.removed).toEqual([first.id, second.id]);
    expect([first.client.closed, second.client.closed]).toEqual([true, true]);
    expect(pool.readyCount).toBe(0);

    // The one still starting is removed when it comes up, never pooled, and nothing replaces it.
    inFlight.succeed();
    const removals = [
      await runtime.removals.next(),
      await runtime.removals.next(),
      await runtime.removals.next(),
    ];
    expect(removals).toEqual([first.id, second.id, inFlight.id]);
    await settled();
    pool.fill();
    await pool.whenSettled();
    expect(runtime.started).toHaveLength(3);
    expect(pool.count).toBe(0);
    expect(runtime.alive.size).toBe(0);
  });

  it("cancels a pending retry", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { pool, runtime } = poolOf(1);
    pool.fill();
    const failing = await runtime.starts.next();
    const backingOff = pool.whenSettled();
    failing.fail(new Error("engine unavailable"));
    await backingOff;

    await pool.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(runtime.started).toHaveLength(1);
  });
});
