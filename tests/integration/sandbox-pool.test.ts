/**
 * The warm pool and admission on the real engine: a new conversation takes a warm container
 * (renamed after it, adopted by the next process), the pool refills and respects the live
 * limit, outdated containers are replaced when the image changes, runs wait their turn fairly
 * and none is lost, and a cancel stops a run while it is queued, starting or restoring.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SandboxManager } from "../../src/sandbox/session-manager.ts";
import type { Execution, RunStage } from "../../src/sandbox/types.ts";
import {
  buildVariantImage,
  createTestSandbox,
  sandboxImage,
  type TestSandbox,
  testDocker,
  testTimeout,
} from "../helpers/sandbox.ts";

const cleanups: Array<() => Promise<void>> = [];
let keptFilesDir: string;

beforeAll(async () => {
  keptFilesDir = await mkdtemp(path.join(tmpdir(), "cib-pool-"));
  await sandboxImage();
}, 900_000);

// After each test rather than at the end: idle sandboxes still cost CPU (gVisor's Sentry keeps
// its timers running), and a dozen of them slow the tests that follow.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function sandboxWith(
  options: { poolSize?: number; maxLive?: number; maxRunning?: number; image?: string },
  scope?: string,
): Promise<TestSandbox> {
  const sandbox = await createTestSandbox({}, scope, undefined, { keptFilesDir, ...options });
  cleanups.push(sandbox.cleanup);
  return sandbox;
}

async function pooledContainers(manager: SandboxManager) {
  return (await manager.list()).filter((container) => container.pooled && container.running);
}

/** Resolves with the first stage of this name a run reports. */
function stageSeen(name: RunStage["stage"]) {
  let seen: (stage: RunStage) => void = () => undefined;
  const reached = new Promise<RunStage>((resolve) => {
    seen = resolve;
  });
  return {
    reached,
    onStage: (stage: RunStage) => {
      if (stage.stage === name) seen(stage);
    },
  };
}

describe("warm pool", () => {
  it("gives a new conversation a warm container without starting one, then refills", async () => {
    const { manager } = await sandboxWith({ poolSize: 2 });
    await manager.startPool();
    await manager.admission.pool.whenSettled();
    expect(await pooledContainers(manager)).toHaveLength(2);

    const fresh = await sandboxWith({ poolSize: 0 });
    const coldSession = await fresh.manager.acquire("cold");
    const names = "print(sorted(k for k in globals() if not k.startswith('_')), len(In))";
    const cold = await coldSession.execute(names);

    const stages: string[] = [];
    const session = await manager.acquire("warm");
    const warm = await session.execute(names, { onStage: (stage) => stages.push(stage.stage) });
    expect(warm.status).toBe("ok");
    // The warm-up left nothing behind: the namespace and history look like a fresh kernel's.
    expect(warm.stdout).toBe(cold.stdout);
    expect(stages).toEqual(["running"]);
    const plot = await session.execute("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])");
    expect(plot.images).toHaveLength(1);

    const containers = await manager.list();
    expect(
      containers.some((container) => container.name === session.containerName && !container.pooled),
    ).toBe(true);
    await manager.admission.pool.whenSettled();
    expect(await pooledContainers(manager)).toHaveLength(2);
    // Described by its conversation, though its labels are the pool's.
    expect((await manager.describe()).map((described) => described.key)).toEqual(["warm"]);
  });

  it("is adopted with its variables by the next process, under the conversation's name", async () => {
    const first = await sandboxWith({ poolSize: 1 });
    await first.manager.startPool();
    await first.manager.admission.pool.whenSettled();
    const session = await first.manager.acquire("carried");
    await session.execute("carried = 41");
    await first.manager.shutdown();
    expect(await pooledContainers(first.manager)).toHaveLength(0);

    const second = await sandboxWith({ poolSize: 0 }, first.scope);
    const again = await second.manager.acquire("carried");
    expect(await again.open()).toEqual({ adopted: true });
    expect((await again.execute("print(carried + 1)")).stdout).toBe("42\n");
  });

  it("never holds more than the live limit allows", async () => {
    const { manager } = await sandboxWith({ poolSize: 3, maxLive: 3 });
    await manager.startPool();
    await manager.admission.pool.whenSettled();
    const a = await manager.acquire("budget-a");
    const b = await manager.acquire("budget-b");
    await Promise.all([a.execute("x = 1"), b.execute("x = 2")]);
    await manager.admission.pool.whenSettled();
    expect(manager.admission.liveCount).toBe(3);
    expect(await pooledContainers(manager)).toHaveLength(1);
    const running = (await manager.list()).filter((container) => container.running);
    expect(running).toHaveLength(3);
  });

  it("replaces its containers when the image tag is rebuilt", { timeout: testTimeout(120_000) }, async () => {
    const docker = testDocker();
    const base = await sandboxImage();
    const ref = `${base.split(":")[0]}:test-pool-ref`;
    await docker.getImage(base).tag({ repo: ref.split(":")[0] ?? "", tag: "test-pool-ref" });
    cleanups.push(async () => {
      await docker.getImage(ref).remove();
    });
    const { manager } = await sandboxWith({ poolSize: 2, image: ref });
    await manager.startPool();
    await manager.admission.pool.whenSettled();
    const before = await pooledContainers(manager);
    expect(before).toHaveLength(2);

    const rebuilt = await buildVariantImage(docker, base, ref);
    await manager.admission.pool.refresh();
    await manager.admission.pool.whenSettled();
    const after = await pooledContainers(manager);
    expect(after).toHaveLength(2);
    expect(after.every((container) => container.imageId === rebuilt)).toBe(true);
    expect(after.some((container) => before.some((old) => old.id === container.id))).toBe(false);
  });
});

describe("admission", () => {
  it("takes turns between two people, however many requests one of them sent", async () => {
    const { manager } = await sandboxWith({ poolSize: 0, maxRunning: 1 });
    const open = async (key: string) => {
      const session = await manager.acquire(key);
      await session.open();
      return session;
    };
    const a1 = await open("fair-a1");
    const blocking = stageSeen("running");
    const stop = new AbortController();
    const blocker = a1.execute("import time\ntime.sleep(600)", {
      // Far beyond the test limits' 4 s: it must hold the only run slot until it is cancelled.
      timeoutMs: 600_000,
      owner: "alice",
      signal: stop.signal,
      onStage: blocking.onStage,
    });
    await blocking.reached;
    const order: string[] = [];
    const run = async (key: string, owner: string) => {
      const session = await open(key);
      const queued = stageSeen("queued");
      const result = session.execute(`print(${JSON.stringify(key)})`, {
        owner,
        onStage: (stage) => {
          queued.onStage(stage);
          if (stage.stage === "running") order.push(key);
        },
      });
      await queued.reached;
      // Wrapped, so awaiting this function waits for the queue, not for the run.
      return { result };
    };
    // Alice sends three more while her first runs; then Bob sends one.
    const alice = [
      await run("fair-a2", "alice"),
      await run("fair-a3", "alice"),
      await run("fair-a4", "alice"),
    ];
    const bob = await run("fair-b1", "bob");
    stop.abort();
    expect((await blocker).status).toBe("cancelled");
    const results = await Promise.all([...alice, bob].map((queued) => queued.result));
    expect(results.map((result) => result.status)).toEqual(["ok", "ok", "ok", "ok"]);
    // Bob's one request goes second, not behind all of Alice's.
    expect(order).toEqual(["fair-a2", "fair-b1", "fair-a3", "fair-a4"]);
  });

  it("answers 50 concurrent requests on a small host and loses none", {
    timeout: testTimeout(600_000),
  }, async () => {
    const { manager } = await sandboxWith({ poolSize: 1, maxLive: 4, maxRunning: 2 });
    await manager.startPool();
    const requests: Array<Promise<Execution>> = [];
    for (let conversation = 0; conversation < 10; conversation++) {
      const session = await manager.acquire(`many-${conversation}`);
      for (let turn = 0; turn < 5; turn++) {
        requests.push(
          session.execute(
            `total = globals().get('total', 0) + ${turn}\nprint(${conversation}, ${turn}, total)`,
            { owner: `user-${conversation % 3}` },
          ),
        );
      }
    }
    const results = await Promise.all(requests);
    expect(results.map((result) => result.status)).toEqual(Array(50).fill("ok"));
    const expected: string[] = [];
    for (let conversation = 0; conversation < 10; conversation++) {
      let total = 0;
      for (let turn = 0; turn < 5; turn++) {
        total += turn;
        expected.push(`${conversation} ${turn} ${total}\n`);
      }
    }
    // Every answer is there, in each conversation's order, with its variables carried along.
    expect(results.map((result) => result.stdout)).toEqual(expected);
    expect(manager.admission.liveCount).toBeLessThanOrEqual(4);
  });
});

describe("cancel", () => {
  it("stops a run while it waits in the queue", async () => {
    const { manager } = await sandboxWith({ poolSize: 0, maxRunning: 1 });
    const busy = await manager.acquire("cancel-busy");
    const waiting = await manager.acquire("cancel-waiting");
    await Promise.all([busy.open(), waiting.open()]);
    const running = stageSeen("running");
    const stop = new AbortController();
    const long = busy.execute("import time\ntime.sleep(600)", {
      timeoutMs: 600_000,
      signal: stop.signal,
      onStage: running.onStage,
    });
    await running.reached;
    const queued = stageSeen("queued");
    const cancel = new AbortController();
    const second = waiting.execute("print('should not run')", {
      signal: cancel.signal,
      onStage: queued.onStage,
    });
    expect(await queued.reached).toEqual({ stage: "queued", ahead: 0 });
    cancel.abort();
    const result = await second;
    expect(result.status).toBe("cancelled");
    expect(result.stdout).toBe("");
    expect(result.notices.join(" ")).toContain("before it started; the code did not run");
    stop.abort();
    expect((await long).status).toBe("cancelled");
    expect((await waiting.execute("print('after')")).stdout).toBe("after\n");
  });

  it("stops a run while its sandbox starts, and the next run works", async () => {
    const { manager } = await sandboxWith({ poolSize: 0 });
    const session = await manager.acquire("cancel-starting");
    const starting = stageSeen("starting");
    const cancel = new AbortController();
    const run = session.execute("open('/mnt/data/ran.txt', 'w').write('x')", {
      signal: cancel.signal,
      onStage: starting.onStage,
    });
    await starting.reached;
    cancel.abort();
    const result = await run;
    expect(result.status).toBe("cancelled");
    expect(result.notices.join(" ")).toContain("while its sandbox was starting");
    const next = await session.execute("import os\nprint(os.listdir('/mnt/data'))");
    expect(next.stdout).toBe("[]\n");
  });

  it("stops a run while a suspended conversation is restored, and keeps what was restored", async () => {
    const { manager } = await sandboxWith({ poolSize: 0 });
    const session = await manager.acquire("cancel-restoring");
    await session.execute("kept = 7\nopen('/mnt/data/kept.txt', 'w').write('kept')");
    await session.execute("pass");
    expect(await manager.suspend("cancel-restoring")).toBe(true);
    const restoring = stageSeen("restoring");
    const cancel = new AbortController();
    const run = session.execute("print('should not run')", {
      signal: cancel.signal,
      onStage: restoring.onStage,
    });
    await restoring.reached;
    cancel.abort();
    const result = await run;
    expect(result.status).toBe("cancelled");
    expect(result.notices.join(" ")).toContain("being restored");
    const next = await session.execute("print(kept, open('/mnt/data/kept.txt').read())");
    expect(next.stdout).toBe("7 kept\n");
  });
});
