import { describe, expect, it } from "vitest";
import { settled, WARN } from "../fakes/sandbox/fake-container-runtime.ts";
import { admissionOf, openCreated, waiting } from "../helpers/admission-fixtures.ts";

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
