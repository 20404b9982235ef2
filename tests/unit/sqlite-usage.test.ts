import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.ts";
import type { RequestUsageStart } from "../../src/store/types.ts";
import { zeroCounters, zeroTotals } from "../../src/usage/totals.ts";

const open: SqliteStore[] = [];

function openStore(): SqliteStore {
  const store = openSqliteStore({ path: ":memory:", logger: silentLogger() });
  open.push(store);
  return store;
}

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

function start(id: string, overrides: Partial<RequestUsageStart> = {}): RequestUsageStart {
  return {
    id,
    platform: "slack",
    userId: "U1",
    userName: "Ada",
    conversationKey: "slack:T:C:1",
    startedAt: 1_000,
    ...overrides,
  };
}

describe("SqliteStore request usage", () => {
  it("records a request as it starts, with nothing used and no end, then completes it", async () => {
    const store = openStore();
    await store.startRequestUsage(start("r1"));
    expect(await store.listRequestUsage({ since: 0 })).toEqual([
      { ...start("r1"), finishedAt: null, outcome: null, model: null, ...zeroCounters() },
    ]);
    const used = {
      modelCalls: 2,
      inputTokens: 1_200,
      outputTokens: 80,
      codeRuns: 1,
      sandboxMs: 1_500,
      filesIn: 1,
      filesInBytes: 10,
      filesOut: 2,
      filesOutBytes: 2_000,
    };
    await store.finishRequestUsage("r1", {
      ...used,
      finishedAt: 5_000,
      outcome: "cancelled",
      model: "gpt-4o",
    });
    expect(await store.listRequestUsage({ since: 0 })).toEqual([
      { ...start("r1"), finishedAt: 5_000, outcome: "cancelled", model: "gpt-4o", ...used },
    ]);
    // An unknown id changes nothing rather than inventing a row.
    await store.finishRequestUsage("nope", { ...used, finishedAt: 6_000, outcome: "done", model: null });
    expect(await store.listRequestUsage({ since: 0 })).toHaveLength(1);
  });

  it("lists and sums by time and person, a person being an id on one platform", async () => {
    const store = openStore();
    await store.startRequestUsage(start("a", { startedAt: 1_000 }));
    await store.startRequestUsage(start("b", { startedAt: 2_000, userId: "U2" }));
    await store.startRequestUsage(start("c", { startedAt: 3_000, platform: "discord" }));
    await store.startRequestUsage(start("d", { startedAt: 4_000 }));
    const finish = (id: string, inputTokens: number) =>
      store.finishRequestUsage(id, {
        ...zeroCounters(),
        modelCalls: 1,
        inputTokens,
        outputTokens: 1,
        finishedAt: 9_000,
        outcome: "done",
        model: "m",
      });
    await finish("a", 10);
    await finish("b", 20);
    await finish("c", 40);
    const ids = async (filter: Parameters<SqliteStore["listRequestUsage"]>[0]) =>
      (await store.listRequestUsage(filter)).map((row) => row.id);
    expect(await ids({ since: 0 })).toEqual(["a", "b", "c", "d"]);
    expect(await ids({ since: 2_000, until: 4_000 })).toEqual(["b", "c"]);
    expect(await ids({ since: 0, platform: "slack", userId: "U1" })).toEqual(["a", "d"]);
    expect(await ids({ since: 0, platform: "discord" })).toEqual(["c"]);
    expect(await store.sumUsage({ since: 0 })).toEqual({
      ...zeroTotals(),
      requests: 4,
      modelCalls: 3,
      inputTokens: 70,
      outputTokens: 3,
    });
    expect(await store.sumUsage({ since: 2_000, platform: "slack", userId: "U2" })).toMatchObject({
      requests: 1,
      inputTokens: 20,
    });
    expect(await store.sumUsage({ since: 10_000 })).toEqual(zeroTotals());
    await expect(store.listRequestUsage({ since: 0, userId: "U1" })).rejects.toThrow(/needs its platform/);
  });
});
