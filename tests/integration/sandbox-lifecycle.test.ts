import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FatalError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logger.ts";
import { SandboxManager } from "../../src/sandbox/session-manager.ts";
import {
  buildVariantImage,
  createTestSandbox,
  sandboxImage,
  TEST_LIMITS,
  type TestSandbox,
  testDocker,
  testRuntime,
  testTimeout,
} from "../helpers/sandbox.ts";

let sandbox: TestSandbox;
const docker = testDocker();

beforeAll(async () => {
  sandbox = await createTestSandbox();
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

describe("sandbox lifecycle", () => {
  it("cancels a run through its AbortSignal and keeps the state", async () => {
    const session = await sandbox.manager.acquire("cancel");
    await session.execute("kept = 1");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const run = await session.execute("import time\ntime.sleep(30)", { signal: controller.signal });
    expect(run.status).toBe("cancelled");
    expect(run.durationMs).toBeLessThan(3_000);
    expect((await session.execute("print(kept)")).stdout).toBe("1\n");
  });

  it("resets Python, and with clearFiles empties /mnt/data", async () => {
    const session = await sandbox.manager.acquire("reset");
    await session.execute("v = 1\nopen('/mnt/data/a.txt', 'w').write('a')");
    await session.reset(false);
    expect((await session.execute("print(globals().get('v'), open('/mnt/data/a.txt').read())")).stdout).toBe(
      "None a\n",
    );
    await session.reset(true);
    expect(await session.listFiles()).toEqual([]);
  });

  it("replaces a container that died while idle, and says files were lost", async () => {
    const session = await sandbox.manager.acquire("dies-idle");
    await session.execute("x = 1");
    await docker.getContainer(session.containerName).kill();
    const run = await session.execute("print('fresh', globals().get('x'))");
    expect(run.status).toBe("ok");
    expect(run.stdout).toBe("fresh None\n");
    expect(run.filesLost).toBe(true);
    expect(run.notices.join(" ")).toMatch(
      /sandbox stopped unexpectedly .* files in \/mnt\/data from before are gone/,
    );
  });

  it("reports a container killed during a run, and the next run works", async () => {
    const session = await sandbox.manager.acquire("dies-running");
    await session.execute("x = 1");
    setTimeout(() => void docker.getContainer(session.containerName).kill(), 700);
    const run = await session.execute("import time\ntime.sleep(20)");
    expect(run.status).toBe("lost");
    expect(run.kernelRestarted).toBe(true);
    expect(run.filesLost).toBe(true);
    expect((await session.execute("print(2 + 2)")).stdout).toBe("4\n");
  });

  it("re-adopts a running container after the bot restarts, with its variables", async () => {
    const first = await createTestSandbox({}, sandbox.scope);
    const before = await first.manager.acquire("adopt");
    await before.execute("survivor = 'still here'");
    await first.manager.shutdown();
    const second = await createTestSandbox({}, sandbox.scope);
    const after = await second.manager.acquire("adopt");
    expect(await after.open()).toEqual({ adopted: true });
    expect((await after.execute("print(survivor)")).stdout).toBe("still here\n");
    await second.manager.shutdown();
  });

  it("stops a run an earlier bot process left going when it adopts the container, keeping its variables", async () => {
    // A limit far past the test's own, so only the adoption can end the run in time.
    const limits = { executionTimeoutMs: 600_000 };
    const first = await createTestSandbox(limits, sandbox.scope);
    const orphaned = await first.manager.acquire("orphan");
    const left = orphaned.execute(
      "x = 1\nopen('/mnt/data/started', 'w').close()\nimport time\ntime.sleep(600)",
    );
    await vi.waitFor(
      async () => expect((await orphaned.listFiles()).map((f) => f.path)).toContain("started"),
      {
        timeout: testTimeout(30_000),
        interval: 50,
      },
    );
    // The first process never ends that run: as far as the container knows, it is gone.
    const second = await createTestSandbox(limits, sandbox.scope);
    try {
      const adopted = await second.manager.acquire("orphan");
      expect(await adopted.open()).toEqual({ adopted: true });
      expect((await adopted.execute("print(x)")).stdout).toBe("1\n");
      expect((await left).status).toBe("cancelled");
    } finally {
      await second.manager.shutdown();
      await first.manager.shutdown();
    }
  });

  it("replaces rather than adopts a running container made from another image", {
    timeout: testTimeout(60_000),
  }, async () => {
    const first = await createTestSandbox({}, sandbox.scope);
    const before = await first.manager.acquire("other-image");
    await before.execute("survivor = 1");
    await first.manager.shutdown();
    const image = await sandboxImage();
    const otherRef = `${image.split(":")[0]}:test-other-ref`;
    await buildVariantImage(docker, image, otherRef);
    const manager = new SandboxManager({
      docker,
      image: otherRef,
      limits: TEST_LIMITS,
      logger: silentLogger(),
      scope: sandbox.scope,
      runtime: testRuntime(),
    });
    const after = await manager.acquire("other-image");
    expect(await after.open()).toEqual({ adopted: false });
    expect((await after.execute("print(globals().get('survivor'))")).stdout).toBe("None\n");
    await after.close();
    await docker.getImage(otherRef).remove();
  });

  it("tells the next run when Python died while idle", async () => {
    const session = await sandbox.manager.acquire("idle-death");
    const run = await session.execute(
      "import threading, time, os\nv = 1\nthreading.Thread(target=lambda: (time.sleep(0.3), os._exit(1))).start()",
    );
    expect(run.status).toBe("ok");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const next = await session.execute("print(globals().get('v'))");
    expect(next.stdout).toBe("None\n");
    expect(next.kernelRestarted).toBe(true);
    expect(next.notices.join(" ")).toMatch(
      /Python restarted since the last run \(the Python process exited with code 1\)/,
    );
  });

  it("removes stopped containers left behind by an earlier run", async () => {
    const session = await sandbox.manager.acquire("left-behind");
    await session.open();
    const name = session.containerName;
    await sandbox.manager.shutdown();
    await docker.getContainer(name).stop({ t: 0 });
    // Just made: it may be one another replica on the engine is still starting, so it stays.
    await sandbox.manager.removeStopped();
    expect((await sandbox.manager.list()).map((c) => c.name)).toContain(name);
    // The next start, minutes later, removes it.
    const later = new SandboxManager({
      docker,
      image: await sandboxImage(),
      limits: TEST_LIMITS,
      logger: silentLogger(),
      scope: sandbox.scope,
      now: () => Date.now() + 5 * 60_000,
      runtime: testRuntime(),
    });
    expect(await later.removeStopped()).toBeGreaterThanOrEqual(1);
    expect((await later.list()).map((c) => c.name)).not.toContain(name);
  });

  it("closes sessions that were idle past the idle timeout", async () => {
    let now = 1_000_000;
    const manager = new SandboxManager({
      docker,
      image: await sandboxImage(),
      limits: TEST_LIMITS,
      logger: silentLogger(),
      scope: sandbox.scope,
      idleTimeoutMs: 60_000,
      now: () => now,
      runtime: testRuntime(),
    });
    const session = await manager.acquire("idle");
    await session.execute("1");
    now += 30_000;
    expect(await manager.reapIdle()).toBe(0);
    now += 31_000;
    expect(await manager.reapIdle()).toBe(1);
    expect((await manager.list()).map((c) => c.name)).not.toContain(session.containerName);
  });

  it("says clearly when Docker cannot be reached", async () => {
    const manager = new SandboxManager({
      docker: new Dockerode({ socketPath: "/nonexistent/docker.sock" }),
      image: "whatever",
      limits: TEST_LIMITS,
      logger: silentLogger(),
      scope: "unreachable",
    });
    const session = await manager.acquire("x");
    const failure = session.execute("1").catch((error: unknown) => error);
    const error = await failure;
    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).toMatch(/Docker is not running or not reachable .*Start it/);
  });
});
