/**
 * Sandboxes spread over two real Docker engines (SANDBOX_DOCKER_HOSTS): this machine's, and a
 * second dockerd in a network namespace of its own (tests/helpers/extra-engine.ts). New sessions
 * go to the engine with fewer running; when an engine stops, the sessions on it continue on the
 * other with their kept files, and the next run says what was lost; when it is back, it takes new
 * sessions again and the containers it kept of sessions that moved are gone.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { SandboxManager } from "../../src/sandbox/session-manager.ts";
import { type ExtraEngine, startExtraEngine } from "../helpers/extra-engine.ts";
import { sandboxImage, TEST_LIMITS, testDocker, testRuntime } from "../helpers/sandbox.ts";

const MAIN = "unix:///var/run/docker.sock";
const SCOPE = `hosts-${process.pid}`;
let extra: ExtraEngine;
let manager: SandboxManager;

beforeAll(async () => {
  const image = await sandboxImage();
  extra = await startExtraEngine(String(process.pid));
  await extra.loadImage(image);
  const docker = testDocker();
  manager = new SandboxManager({
    docker,
    hosts: [
      { name: MAIN, docker },
      { name: extra.name, docker: extra.docker },
    ],
    image,
    limits: TEST_LIMITS,
    runtime: testRuntime(),
    logger: silentLogger(),
    scope: SCOPE,
    keptFilesDir: await mkdtemp(path.join(tmpdir(), "cib-hosts-")),
  });
  await manager.runtime.checkEngine();
}, 900_000);

afterAll(async () => {
  if (manager) {
    for (const container of await manager.list()) await manager.runtime.remove(container.id);
    await manager.shutdown();
  }
  await extra?.destroy();
});

/** The engine each session's container is on, by session key. */
async function hostsOf(): Promise<Map<string, string | null>> {
  return new Map((await manager.describe()).map((session) => [session.key, session.host]));
}

describe("sandboxes on two Docker engines", () => {
  const keys = ["one", "two", "three", "four"];

  it("start new sessions on the engine with fewer running", async () => {
    for (const key of keys) {
      const execution = await (await manager.acquire(key)).execute(`name = ${JSON.stringify(key)}`);
      expect(execution.status).toBe("ok");
    }
    const hosts = await hostsOf();
    const onExtra = keys.filter((key) => hosts.get(key) === extra.name);
    const onMain = keys.filter((key) => hosts.get(key) === MAIN);
    expect([onMain.length, onExtra.length]).toEqual([2, 2]);
  }, 300_000);

  it("continue the sessions of an engine that stops on the other, with their files, saying what was lost", async () => {
    const onExtra = [...(await hostsOf())].filter(([, host]) => host === extra.name).map(([key]) => key);
    expect(onExtra.length).toBeGreaterThan(0);
    for (const key of onExtra) {
      const wrote = await (await manager.acquire(key)).execute(
        `open('/mnt/data/${key}.txt', 'w').write('kept ${key}')`,
      );
      expect(wrote.status).toBe("ok");
      // Queued behind the copy of the file out of the container: once it ran, the file is kept.
      await (await manager.acquire(key)).execute("pass");
    }

    await extra.stop();
    for (const key of onExtra) {
      const execution = await (await manager.acquire(key)).execute(
        `print(open('/mnt/data/${key}.txt').read())\nprint('name' in globals())`,
      );
      expect(execution.stdout).toBe(`kept ${key}\nFalse\n`);
      const notice = execution.notices.join(" ");
      expect(notice).toContain(`the Docker engine ${extra.name} stopped answering`);
      expect(notice).toContain("variables and imports are gone");
      expect(execution.filesLost).toBe(false);
    }
    const hosts = await hostsOf();
    for (const key of keys) expect(hosts.get(key)).toBe(MAIN);
    expect(manager.hosts?.hosts()).toEqual([
      { name: MAIN, up: true, reason: null },
      { name: extra.name, up: false, reason: `the Docker engine ${extra.name} stopped answering` },
    ]);
  }, 300_000);

  it("take new sessions on the engine again once it answers, without the containers of sessions that moved", async () => {
    await extra.start();
    await manager.hosts?.probe();
    expect(manager.hosts?.hosts().every((host) => host.up)).toBe(true);
    // The containers the engine stopped with belong to sessions now on the main engine: removed.
    const leftOnExtra = await extra.docker.listContainers({
      all: true,
      filters: { label: [`code-interpreter-bot.scope=${SCOPE}`] },
    });
    expect(leftOnExtra).toEqual([]);
    const fresh = await (await manager.acquire("five")).execute("print('hello')");
    expect(fresh.stdout).toBe("hello\n");
    expect((await hostsOf()).get("five")).toBe(extra.name);
  }, 300_000);
});
