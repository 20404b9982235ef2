import { describe, expect, it } from "vitest";
import { Arrivals } from "../fakes/sandbox/fake-container-runtime.ts";
import { admissionOf, openCreated, waiting } from "../helpers/admission-fixtures.ts";

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

  it("tells its observers each wait and each container opened, and survives one that throws", async () => {
    const under = admissionOf({ maxLive: 1, maxRunning: 1 });
    const { admission } = under;
    const heard: string[] = [];
    admission.observe({
      waited: () => {
        throw new Error("a broken observer");
      },
      opened: () => undefined,
    });
    admission.observe({
      waited: (queue, ms) => heard.push(`waited ${queue} ${ms >= 0}`),
      opened: (how, ms) => heard.push(`opened ${how} ${ms >= 0}`),
    });
    const container = await openCreated(under, "alice");
    const release = await admission.runSlot({ owner: "alice" });
    expect(heard).toEqual(["waited container true", "opened created true", "waited run true"]);
    expect(under.logs.filter((line) => line.msg === "an admission observer failed")).toHaveLength(2);
    release?.();
    await admission.release(container, "remove");
  });
});
