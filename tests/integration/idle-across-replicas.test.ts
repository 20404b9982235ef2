/**
 * The idle timeout with replicas, on the real engine: two session managers share a scope and a
 * SESSIONS_DIR, as two bot processes do. One runs a conversation and hands its sandbox over; once
 * nobody has used it for longer than the idle timeout, the other replica's reaper suspends it
 * (variables pickled into the shared folder, container removed), and the first one, asked again,
 * restores it with its variables.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdleSandboxReaper } from "../../src/bot/idle-sandboxes.ts";
import { silentLogger } from "../../src/logger.ts";
import { createTestSandbox, type TestSandbox } from "../helpers/sandbox.ts";

const IDLE_MS = 60_000;
const KEY = "slack:T:C:idle-thread";
let a: TestSandbox;
let b: TestSandbox;
/** The second replica's clock: an hour ahead, so what the first used just now is long idle to it. */
const later = () => Date.now() + 3_600_000;

beforeAll(async () => {
  const keptFilesDir = await mkdtemp(path.join(tmpdir(), "cib-idle-replicas-"));
  a = await createTestSandbox({}, undefined, silentLogger(), { keptFilesDir, idleTimeoutMs: IDLE_MS });
  b = await createTestSandbox({}, a.scope, silentLogger(), {
    keptFilesDir,
    idleTimeoutMs: IDLE_MS,
    now: later,
  });
}, 900_000);

afterAll(async () => {
  await a?.cleanup();
});

/** Housekeeping as the bot does it, minus the turn (tested in replica-turns.test.ts). */
const housekeeper = {
  housekeep: async (_key: string, work: () => Promise<void>) => {
    await work();
    return true;
  },
};

describe("idle sandboxes across replicas", () => {
  it("are suspended by another replica's reaper and resumed with their variables", async () => {
    const session = await a.manager.acquire(KEY);
    expect((await session.execute("z = 5")).status).toBe("ok");
    await a.manager.handOver(KEY);
    // Used just now: idle to nobody on a's clock.
    expect(await a.manager.idleAcrossReplicas()).toEqual([]);
    expect(await b.manager.idleAcrossReplicas()).toEqual([KEY]);

    const reaper = new IdleSandboxReaper({ bot: housekeeper, sandbox: b.manager, logger: silentLogger() });
    expect(await reaper.tick()).toBe(1);
    const containers = await a.manager.list();
    expect(containers.filter((container) => container.running && !container.pooled)).toEqual([]);
    // Nothing left to suspend: a second tick finds no container.
    expect(await reaper.tick()).toBe(0);

    const resumed = await a.manager.acquire(KEY);
    const execution = await resumed.execute("print(z * 2)");
    expect(execution.stdout).toBe("10\n");
    await a.manager.handOver(KEY);
  }, 300_000);
});
