import { describe, expect, it } from "vitest";
import type { WaitOptions } from "../../src/sandbox/container-host.ts";
import type { AttachedContainer } from "../../src/sandbox/container-runtime.ts";
import { SandboxAdmission } from "../../src/sandbox/sandbox-admission.ts";
import type { RunStage } from "../../src/sandbox/types.ts";
import {
  Arrivals,
  capturingLogger,
  Deferred,
  FakeContainerRuntime,
  type LogLine,
  settled,
  WARN,
} from "../fakes/sandbox/fake-container-runtime.ts";

interface AdmissionUnderTest {
  admission: SandboxAdmission;
  runtime: FakeContainerRuntime;
  logs: LogLine[];
  /** Each call of suspendIdle, answered when the test resolves it. */
  suspensions: Arrivals<Deferred<boolean>>;
  readonly suspendCalls: number;
  /** Fails the test if the host holds, or ever held, more containers than the live limit. */
  withinLimit: () => void;
}

function admissionOf(limits: {
  maxLive: number;
  maxRunning?: number;
  poolSize?: number;
}): AdmissionUnderTest {
  const runtime = new FakeContainerRuntime();
  const { logger, lines } = capturingLogger();
  const suspensions = new Arrivals<Deferred<boolean>>();
  let suspendCalls = 0;
  const admission = new SandboxAdmission({
    runtime: runtime.asRuntime(),
    logger,
    maxLive: limits.maxLive,
    maxRunning: limits.maxRunning ?? 0,
    poolSize: limits.poolSize ?? 0,
    warmUpTimeoutMs: 5_000,
    suspendIdle: () => {
      suspendCalls += 1;
      const answer = new Deferred<boolean>();
      suspensions.push(answer);
      return answer.promise;
    },
  });
  return {
    admission,
    runtime,
    logs: lines,
    suspensions,
    get suspendCalls() {
      return suspendCalls;
    },
    withinLimit: () => {
      expect(admission.liveCount).toBeLessThanOrEqual(limits.maxLive);
      expect(runtime.alive.size).toBeLessThanOrEqual(admission.liveCount);
      expect(runtime.peakAlive).toBeLessThanOrEqual(limits.maxLive);
    },
  };
}

/** Wait options that record the stages reported. */
function waiting(owner: string, extra: Omit<WaitOptions, "owner" | "onStage"> = {}) {
  const stages: RunStage[] = [];
  const options: WaitOptions = { owner, ...extra, onStage: (stage) => stages.push(stage) };
  return { options, stages };
}

/** Opens a session whose container is created (no pool, room free), letting the start succeed. */
async function openCreated(
  { admission, runtime }: AdmissionUnderTest,
  key: string,
  owner = key,
): Promise<AttachedContainer> {
  const opening = admission.open(key, { owner });
  (await runtime.starts.next()).succeed();
  const container = await opening;
  if (!container) throw new Error(`${key} should have been given a container`);
  return container;
}

describe("SandboxAdmission live limit and pool", () => {
  it("keeps pooled and held containers within maxLive, takes pooled ones, and suspends for a waiter", async () => {
    const under = admissionOf({ maxLive: 2, poolSize: 1 });
    const { admission, runtime, suspensions, withinLimit } = under;

    await admission.pool.start();
    const pooled1 = await runtime.starts.next();
    expect(pooled1.kind).toBe("pooled");
    expect(admission.liveCount).toBe(1);
    withinLimit();
    pooled1.succeed();
    await admission.pool.whenSettled();
    expect(admission.pool.readyCount).toBe(1);
    expect(runtime.started).toHaveLength(1);
    withinLimit();

    // A new session gets the warm container, renamed after it; nothing is created for it.
    const a = waiting("alice");
    const first = await admission.open("a", a.options);
    expect(first?.id).toBe(pooled1.id);
    expect(first?.name).toBe(runtime.containerName("a"));
    expect(runtime.claims).toEqual([{ id: pooled1.id, key: "a" }]);
    expect(a.stages).toEqual([]);
    withinLimit();

    // There is room for one more, so the pool refills.
    const pooled2 = await runtime.starts.next();
    expect(pooled2.kind).toBe("pooled");
    expect(admission.liveCount).toBe(2);
    withinLimit();
    pooled2.succeed();
    await admission.pool.whenSettled();
    withinLimit();

    const second = await admission.open("b", { owner: "bob" });
    expect(second?.id).toBe(pooled2.id);
    // Two sessions hold the limit: the pool stays empty.
    await admission.pool.whenSettled();
    expect(runtime.started).toHaveLength(2);
    expect(admission.liveCount).toBe(2);
    expect(admission.pool.count).toBe(0);
    withinLimit();

    // A third session waits and the least recently used idle session is suspended for it.
    const c = waiting("carol");
    const opening = admission.open("c", c.options);
    const suspension = await suspensions.next();
    expect(c.stages).toEqual([{ stage: "queued", ahead: 0 }]);
    expect(admission.waitingCount).toBe(1);
    withinLimit();

    // Suspending "a" removes its container; that room goes to the waiter, not to the pool.
    if (!first) throw new Error("a should have a container");
    await admission.release(first, "remove");
    expect(runtime.removed).toEqual([pooled1.id]);
    const created = await runtime.starts.next();
    expect(created).toMatchObject({ kind: "session", key: "c" });
    expect(admission.liveCount).toBe(2);
    withinLimit();
    suspension.resolve(true);
    created.succeed();
    expect((await opening)?.id).toBe(created.id);
    expect(c.stages).toEqual([{ stage: "queued", ahead: 0 }, { stage: "starting" }]);
    expect(admission.waitingCount).toBe(0);
    expect(under.suspendCalls).toBe(1);
    await admission.pool.whenSettled();
    expect(runtime.started).toHaveLength(3);
    withinLimit();

    // When a session goes, the pool may refill into its room.
    if (!second) throw new Error("b should have a container");
    await admission.release(second, "remove");
    const pooled3 = await runtime.starts.next();
    expect(pooled3.kind).toBe("pooled");
    withinLimit();
    pooled3.succeed();
    await admission.pool.whenSettled();
    expect(admission.liveCount).toBe(2);
    withinLimit();
    await admission.pool.close();
  });

  it("suspends one idle session per waiter, one at a time", async () => {
    const under = admissionOf({ maxLive: 1 });
    const { admission, runtime, suspensions, withinLimit } = under;
    const a = await openCreated(under, "a");

    const openingC = admission.open("c", { owner: "carol" });
    const forC = await suspensions.next();
    const openingD = admission.open("d", { owner: "dave" });
    await settled();
    // One suspension under way is enough until it has made room.
    expect(under.suspendCalls).toBe(1);
    expect(admission.waitingCount).toBe(2);

    await admission.release(a, "remove");
    const startC = await runtime.starts.next();
    expect(startC.key).toBe("c");
    forC.resolve(true);
    // D still waits: one more idle session is suspended for it.
    const forD = await suspensions.next();
    startC.succeed();
    const c = await openingC;
    if (!c) throw new Error("c should have a container");
    withinLimit();

    await admission.release(c, "remove");
    const startD = await runtime.starts.next();
    expect(startD.key).toBe("d");
    forD.resolve(true);
    startD.succeed();
    expect((await openingD)?.id).toBe(startD.id);
    await settled();
    expect(under.suspendCalls).toBe(2);
    withinLimit();
  });

  it("keeps a waiter queued when nothing is idle, until capacityChanged() says something freed", async () => {
    const under = admissionOf({ maxLive: 1 });
    const { admission, runtime, suspensions, withinLimit } = under;
    const a = await openCreated(under, "a");

    const opening = admission.open("c", { owner: "carol" });
    (await suspensions.next()).resolve(false);
    await settled();
    expect(admission.waitingCount).toBe(1);
    expect(runtime.started).toHaveLength(1);
    expect(under.suspendCalls).toBe(1);

    // "a" finished its run and is idle now: asked again, the suspension makes room.
    admission.capacityChanged();
    const suspension = await suspensions.next();
    await admission.release(a, "remove");
    suspension.resolve(true);
    const start = await runtime.starts.next();
    expect(start.key).toBe("c");
    start.succeed();
    expect((await opening)?.id).toBe(start.id);
    expect(under.suspendCalls).toBe(2);
    withinLimit();
  });

  it("logs a suspension that throws and keeps the waiter queued", async () => {
    const under = admissionOf({ maxLive: 1 });
    const { admission, suspensions, logs } = under;
    await openCreated(under, "a");

    const controller = new AbortController();
    const opening = admission.open("c", { owner: "carol", signal: controller.signal });
    (await suspensions.next()).reject(new Error("disk full while saving variables"));
    await settled();
    expect(logs.filter((line) => line.level === WARN)).toMatchObject([
      {
        msg: "could not suspend an idle session to make room",
        err: { message: "disk full while saving variables" },
      },
    ]);
    expect(admission.waitingCount).toBe(1);
    controller.abort();
    expect(await opening).toBeNull();
  });

  it("gives a waiter the room a failed pool start leaves", async () => {
    const under = admissionOf({ maxLive: 1, poolSize: 1 });
    const { admission, runtime, suspensions, withinLimit } = under;
    await admission.pool.start();
    const pooled = await runtime.starts.next();

    // The starting pooled container holds the only room, and no session is idle to suspend.
    const c = waiting("carol");
    const opening = admission.open("c", c.options);
    (await suspensions.next()).resolve(false);
    pooled.fail(new Error("engine unavailable"));

    const start = await runtime.starts.next();
    expect(start).toMatchObject({ kind: "session", key: "c" });
    start.succeed();
    expect((await opening)?.id).toBe(start.id);
    expect(c.stages).toEqual([{ stage: "queued", ahead: 0 }, { stage: "starting" }]);
    withinLimit();
    await admission.pool.close();
  });

  it("adopts a container left running without queueing, and counts it", async () => {
    const under = admissionOf({ maxLive: 1 });
    const { admission, runtime } = under;
    await openCreated(under, "b");
    const left = runtime.leaveRunning("a");

    const a = waiting("alice");
    const adopted = await admission.open("a", a.options);
    expect(adopted).toBe(left);
    expect(adopted?.adopted).toBe(true);
    // Alive already, so it counts even beyond the limit; nothing waited or was started for it.
    expect(admission.liveCount).toBe(2);
    expect(admission.waitingCount).toBe(0);
    expect(a.stages).toEqual([]);
    expect(runtime.started).toHaveLength(1);
    expect(under.suspendCalls).toBe(0);

    if (!adopted) throw new Error("a should have its container");
    await admission.release(adopted, "detach");
    expect(admission.liveCount).toBe(1);
    // Detached, it is left running for a later process.
    expect(runtime.removed).toEqual([]);
    expect(runtime.clientOf(adopted).closed).toBe(true);
  });

  it("reports starting when it creates a container", async () => {
    const { admission, runtime } = admissionOf({ maxLive: 2 });
    const a = waiting("alice");
    const opening = admission.open("a", a.options);
    const start = await runtime.starts.next();
    expect(a.stages).toEqual([{ stage: "starting" }]);
    start.succeed();
    await opening;
    expect(a.stages).toEqual([{ stage: "starting" }]);
  });

  it("withdraws a request whose signal aborts while it waits, holding nothing", async () => {
    const under = admissionOf({ maxLive: 1 });
    const { admission, runtime, suspensions } = under;
    const a = await openCreated(under, "a");

    const controller = new AbortController();
    const c = waiting("carol", { signal: controller.signal });
    const opening = admission.open("c", c.options);
    const suspension = await suspensions.next();
    expect(c.stages).toEqual([{ stage: "queued", ahead: 0 }]);

    controller.abort();
    expect(await opening).toBeNull();
    expect(admission.liveCount).toBe(1);
    expect(admission.waitingCount).toBe(0);

    await admission.release(a, "remove");
    suspension.resolve(true);
    await settled();
    expect(admission.liveCount).toBe(0);
    expect(runtime.started).toHaveLength(1);
    expect(c.stages).toEqual([{ stage: "queued", ahead: 0 }]);
  });

  it("gives nothing to a request whose signal aborted before it asked", async () => {
    const { admission, runtime } = admissionOf({ maxLive: 1 });
    const a = waiting("alice", { signal: AbortSignal.abort() });
    expect(await admission.open("a", a.options)).toBeNull();
    expect(admission.liveCount).toBe(0);
    expect(runtime.started).toEqual([]);
    expect(a.stages).toEqual([]);
  });

  it("frees the room when a container cannot be created, and rethrows", async () => {
    const under = admissionOf({ maxLive: 1 });
    const { admission, runtime } = under;
    const opening = admission.open("a", { owner: "alice" });
    (await runtime.starts.next()).fail(new Error("image not found: build it with npm run sandbox:build"));
    await expect(opening).rejects.toThrow("image not found");
    expect(admission.liveCount).toBe(0);

    // The room is free again: the next session does not wait.
    await openCreated(under, "b");
    expect(admission.liveCount).toBe(1);
    expect(under.suspendCalls).toBe(0);
  });

  it("removes a pooled container it could not claim, frees the room, and rethrows", async () => {
    const under = admissionOf({ maxLive: 1, poolSize: 1 });
    const { admission, runtime, withinLimit } = under;
    await admission.pool.start();
    const pooled = await runtime.starts.next();
    pooled.succeed();
    await admission.pool.whenSettled();

    runtime.claimFailure = new Error("rename failed");
    await expect(admission.open("a", { owner: "alice" })).rejects.toThrow("rename failed");
    expect(runtime.removed).toEqual([pooled.id]);
    expect(pooled.client.closed).toBe(true);
    // The room went back to the pool.
    const refill = await runtime.starts.next();
    expect(refill.kind).toBe("pooled");
    expect(admission.liveCount).toBe(1);
    withinLimit();
    await admission.pool.close();
  });
});

describe("SandboxAdmission run slots", () => {
  it("queues a second run until the first releases its slot, and counts a release once", async () => {
    const { admission } = admissionOf({ maxLive: 0, maxRunning: 1 });
    const first = await admission.runSlot({ owner: "alice" });
    if (!first) throw new Error("the first run should get the slot");
    expect(admission.runningCount).toBe(1);

    const b = waiting("bob");
    const second = admission.runSlot(b.options);
    expect(b.stages).toEqual([{ stage: "queued", ahead: 0 }]);
    expect(admission.waitingCount).toBe(1);

    first();
    const release = await second;
    expect(release).toBeTypeOf("function");
    expect(admission.runningCount).toBe(1);
    expect(admission.waitingCount).toBe(0);

    // A second release of the same slot frees nothing: the next run still waits.
    first();
    expect(admission.runningCount).toBe(1);
    const third = admission.runSlot({ owner: "carol" });
    expect(admission.waitingCount).toBe(1);
    release?.();
    expect(await third).toBeTypeOf("function");
    expect(admission.runningCount).toBe(1);
  });

  it("takes turns between owners: one user's three waiting runs do not hold back another's one", async () => {
    const { admission } = admissionOf({ maxLive: 0, maxRunning: 1 });
    const holder = await admission.runSlot({ owner: "holder" });
    if (!holder) throw new Error("the holder should get the slot");

    const admitted = new Arrivals<{ label: string; release: () => void }>();
    const queue = (owner: string, label: string): void => {
      void admission.runSlot({ owner }).then((release) => {
        if (release) admitted.push({ label, release });
      });
    };
    queue("alice", "a1");
    queue("alice", "a2");
    queue("alice", "a3");
    queue("bob", "b1");
    expect(admission.waitingCount).toBe(4);

    const order: string[] = [];
    holder();
    for (let i = 0; i < 4; i += 1) {
      const { label, release } = await admitted.next();
      order.push(label);
      release();
    }
    expect(order).toEqual(["a1", "b1", "a2", "a3"]);
    expect(admission.runningCount).toBe(0);
  });

  it("withdraws a run whose signal aborts while it waits", async () => {
    const { admission } = admissionOf({ maxLive: 0, maxRunning: 1 });
    const holder = await admission.runSlot({ owner: "alice" });
    const controller = new AbortController();
    const waitingRun = admission.runSlot({ owner: "bob", signal: controller.signal });
    controller.abort();
    expect(await waitingRun).toBeNull();
    expect(admission.waitingCount).toBe(0);
    holder?.();
    expect(admission.runningCount).toBe(0);
  });
});
