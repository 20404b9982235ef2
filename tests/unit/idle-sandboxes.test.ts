import { describe, expect, it } from "vitest";
import { IdleSandboxReaper } from "../../src/bot/idle-sandboxes.ts";
import { silentLogger } from "../../src/logger.ts";

/** A shared engine where `idle` were listed idle, and `usedSince` were used between the listing and their turn. */
function source(idle: string[], usedSince: Set<string>) {
  const suspended: string[] = [];
  return {
    suspended,
    idleAcrossReplicas: async () => idle,
    stillIdle: async (key: string) => !usedSince.has(key),
    suspend: async (key: string) => {
      suspended.push(key);
      return true;
    },
  };
}

const underTurn = {
  housekeep: async (_key: string, work: () => Promise<void>) => {
    await work();
    return true;
  },
};

describe("the idle sandbox reaper", () => {
  it("suspends what is still idle under its turn, and leaves what a request used since the listing", async () => {
    const sandbox = source(["a", "b", "c"], new Set(["b"]));
    const reaper = new IdleSandboxReaper({ bot: underTurn, sandbox, logger: silentLogger() });
    expect(await reaper.tick()).toBe(2);
    expect(sandbox.suspended).toEqual(["a", "c"]);
  });

  it("goes on with the others when one conversation's housekeeping fails", async () => {
    const sandbox = source(["a", "b"], new Set());
    const bot = {
      housekeep: async (key: string, work: () => Promise<void>) => {
        if (key === "a") throw new Error("the store is down");
        await work();
        return true;
      },
    };
    const reaper = new IdleSandboxReaper({ bot, sandbox, logger: silentLogger() });
    expect(await reaper.tick()).toBe(1);
    expect(sandbox.suspended).toEqual(["b"]);
  });
});
