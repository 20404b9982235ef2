/**
 * The Store contract: one suite that every backend passes (SQLite in tests/unit, PostgreSQL in
 * tests/integration), so that what the bot relies on does not change with DATABASE_URL. A
 * backend's own concerns (files and WAL for SQLite; servers, replicas and connections for
 * PostgreSQL) are tested beside it, not here.
 */
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BotError } from "../../src/errors.ts";
import type { Logger } from "../../src/logger.ts";
import { silentLogger } from "../../src/logger.ts";
import type { ConversationMessage, Store, UsageFilter } from "../../src/store/types.ts";
import { zeroCounters, zeroTotals } from "../../src/usage/totals.ts";
import { describeReplicaContract } from "./store-contract-replicas.ts";
import { KEY, OTHER, openRequest, usageStart, user } from "./store-fixtures.ts";

export interface StoreBackend {
  /** A store on an empty database, reading time from `now`. */
  open(now: () => number, logger: Logger): Promise<Store>;
  /** Overwrites one stored message body behind the store's back, as a damaged row would read. */
  corruptMessage(store: Store, conversationKey: string, seq: number, body: string): Promise<void>;
}

/** Collects what the store logs, to assert that a skipped row was reported. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

export function describeStoreContract(name: string, backend: StoreBackend): void {
  let clock = 1_000;
  const opened: Store[] = [];

  async function openStore(logger: Logger = silentLogger()): Promise<Store> {
    const store = await backend.open(() => clock, logger);
    opened.push(store);
    return store;
  }

  beforeEach(() => {
    clock = 1_000;
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  describe(`${name}: messages`, () => {
    it("appends in order with increasing seq per conversation", async () => {
      const store = await openStore();
      await store.appendMessages(KEY, [user("one"), user("two")]);
      clock = 2_000;
      await store.appendMessages(KEY, [user("three")]);
      const stored = await store.listMessages(KEY);
      expect(stored.map((m) => [m.seq, m.createdAt, m.message])).toEqual([
        [1, 1_000, user("one")],
        [2, 1_000, user("two")],
        [3, 2_000, user("three")],
      ]);
      expect(await store.listMessages("cli:nobody")).toEqual([]);
    });

    it("returns the newest `limit` messages, oldest first", async () => {
      const store = await openStore();
      await store.appendMessages(KEY, ["a", "b", "c", "d", "e"].map(user));
      const newest = await store.listMessages(KEY, { limit: 2 });
      expect(newest.map((m) => [m.seq, m.message])).toEqual([
        [4, user("d")],
        [5, user("e")],
      ]);
      expect(await store.listMessages(KEY, { limit: 10 })).toHaveLength(5);
      expect(await store.listMessages(KEY, { limit: 0 })).toEqual([]);
      await expect(store.listMessages(KEY, { limit: -1 })).rejects.toThrow(/non-negative integer/);
    });

    it("round-trips tool calls, optional fields and any text exactly", async () => {
      const store = await openStore();
      const messages: ConversationMessage[] = [
        {
          role: "user",
          content: "plot sin(x) 📈 — naïve ‘quotes’ \\ $1 '; DROP TABLE messages; --",
          author: "U42",
        },
        {
          role: "assistant",
          content: null,
          toolCalls: [
            { id: "call_1", name: "run_python", arguments: '{"code":"print(1)"}' },
            { id: "call_2", name: "run_python", arguments: '{"code": "unterminated' },
          ],
        },
        { role: "tool", toolCallId: "call_1", content: "1\n" },
        { role: "assistant", content: "Done — see the chart." },
      ];
      await store.appendMessages(KEY, messages);
      const stored = await store.listMessages(KEY);
      expect(stored.map((m) => m.message)).toStrictEqual(messages);
    });

    it("keeps per-conversation seq under concurrent appends", async () => {
      const store = await openStore();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.appendMessages(i % 2 === 0 ? KEY : OTHER, [user(`m${i}`), user(`m${i}b`)]),
        ),
      );
      for (const key of [KEY, OTHER]) {
        const seqs = (await store.listMessages(key)).map((m) => m.seq);
        expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
    });

    it("skips and logs a corrupted row instead of throwing", async () => {
      const { logger, lines } = capturingLogger();
      const store = await openStore(logger);
      await store.appendMessages(KEY, [user("good"), user("broken"), user("mistyped"), user("also good")]);
      await backend.corruptMessage(store, KEY, 2, "{not json");
      await backend.corruptMessage(store, KEY, 3, '{"role":"user","content":42}');

      const stored = await store.listMessages(KEY);
      expect(stored.map((m) => [m.seq, m.message])).toEqual([
        [1, user("good")],
        [4, user("also good")],
      ]);
      const warnings = lines.filter((line) => line.msg === "skipping unreadable stored message");
      expect(warnings.map((line) => [line.conversation, line.seq])).toEqual([
        [KEY, 2],
        [KEY, 3],
      ]);
    });

    it("clears history but keeps the conversation", async () => {
      const store = await openStore();
      await store.appendMessages(KEY, [user("one"), user("two")]);
      clock = 5_000;
      await store.clearMessages(KEY);
      expect(await store.listMessages(KEY)).toEqual([]);
      expect(await store.getConversation(KEY)).toEqual({
        key: KEY,
        platform: "slack",
        createdAt: 1_000,
        updatedAt: 5_000,
        messageCount: 0,
      });
      await store.appendMessages(KEY, [user("fresh start")]);
      expect((await store.listMessages(KEY)).map((m) => m.message)).toEqual([user("fresh start")]);
    });
  });

  describe(`${name}: conversations, sessions and deliveries`, () => {
    it("lists conversations newest first with counts, filtered by platform", async () => {
      const store = await openStore();
      await store.appendMessages(KEY, [user("a")]);
      clock = 2_000;
      await store.appendMessages(OTHER, [user("b"), user("c")]);
      clock = 3_000;
      await store.appendMessages("cli:local", []);

      const all = await store.listConversations();
      expect(all.map((c) => [c.key, c.platform, c.messageCount, c.updatedAt])).toEqual([
        ["cli:local", "cli", 0, 3_000],
        [OTHER, "discord", 2, 2_000],
        [KEY, "slack", 1, 1_000],
      ]);
      expect((await store.listConversations({ platform: "discord" })).map((c) => c.key)).toEqual([OTHER]);
      expect(await store.listConversations({ limit: 1 })).toHaveLength(1);
      expect(await store.getConversation("slack:missing")).toBeNull();
    });

    it("records, replaces and removes sandbox sessions", async () => {
      const store = await openStore();
      const session = { conversationKey: KEY, containerName: "ci-sbx-1", createdAt: 10, lastUsedAt: 20 };
      await store.recordSandboxSession(session);
      expect(await store.getSandboxSession(KEY)).toEqual(session);
      await store.recordSandboxSession({
        ...session,
        containerName: "ci-sbx-2",
        createdAt: 99,
        lastUsedAt: 30,
      });
      expect(await store.getSandboxSession(KEY)).toEqual({
        ...session,
        containerName: "ci-sbx-2",
        lastUsedAt: 30,
      });
      await store.removeSandboxSession(KEY);
      expect(await store.getSandboxSession(KEY)).toBeNull();
    });

    it("claims a delivery once, and again after its TTL", async () => {
      const store = await openStore();
      expect(await store.claimDelivery("Ev1", 10_000)).toBe(true);
      clock += 9_999;
      expect(await store.claimDelivery("Ev1", 10_000)).toBe(false);
      expect(await store.claimDelivery("Ev2", 10_000)).toBe(true);
      clock += 2;
      expect(await store.claimDelivery("Ev1", 10_000)).toBe(true);
      expect(await store.claimDelivery("Ev1", 10_000)).toBe(false);
    });

    it("claims each of many deliveries exactly once when the claims race", async () => {
      const store = await openStore();
      const ids = Array.from({ length: 10 }, (_, i) => `slack:Ev${i}`);
      const claims = await Promise.all([...ids, ...ids, ...ids].map((id) => store.claimDelivery(id, 60_000)));
      expect(claims.filter(Boolean)).toHaveLength(ids.length);
    });

    it("pings with a committed write that does not touch real deliveries", async () => {
      const store = await openStore();
      expect(await store.claimDelivery("web:Ev1", 10_000)).toBe(true);
      await store.ping();
      clock += 1;
      await store.ping();
      expect(await store.claimDelivery("web:Ev1", 10_000)).toBe(false);
    });

    it("rejects calls after close with a clear error", async () => {
      const store = await openStore();
      await store.close();
      await store.close();
      const error = await store.listMessages(KEY).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BotError);
      expect(error).toMatchObject({ code: "store-closed" });
      expect(String(error)).toMatch(/closed/);
    });
  });

  describe(`${name}: request usage`, () => {
    it("records a request as it starts, with nothing used and no end, then completes it", async () => {
      const store = await openStore();
      await store.startRequestUsage(usageStart("r1"));
      expect(await store.listRequestUsage({ since: 0 })).toEqual([
        { ...usageStart("r1"), finishedAt: null, outcome: null, model: null, ...zeroCounters() },
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
        filesOutBytes: 5_000_000_000,
      };
      await store.finishRequestUsage("r1", {
        ...used,
        finishedAt: 5_000,
        outcome: "cancelled",
        model: "gpt-4o",
      });
      expect(await store.listRequestUsage({ since: 0 })).toEqual([
        { ...usageStart("r1"), finishedAt: 5_000, outcome: "cancelled", model: "gpt-4o", ...used },
      ]);
      // An unknown id changes nothing rather than inventing a row.
      await store.finishRequestUsage("nope", { ...used, finishedAt: 6_000, outcome: "done", model: null });
      expect(await store.listRequestUsage({ since: 0 })).toHaveLength(1);
    });

    it("lists and sums by time and person, a person being an id on one platform", async () => {
      const store = await openStore();
      await store.startRequestUsage(usageStart("a", { startedAt: 1_000 }));
      await store.startRequestUsage(usageStart("b", { startedAt: 2_000, userId: "U2" }));
      await store.startRequestUsage(usageStart("c", { startedAt: 3_000, platform: "discord" }));
      await store.startRequestUsage(usageStart("d", { startedAt: 4_000 }));
      await store.startRequestUsage(usageStart("e", { startedAt: 4_000 }));
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
      const ids = async (filter: UsageFilter) => (await store.listRequestUsage(filter)).map((row) => row.id);
      // d and e started in the same millisecond: they stay in the order they arrived.
      expect(await ids({ since: 0 })).toEqual(["a", "b", "c", "d", "e"]);
      expect(await ids({ since: 2_000, until: 4_000 })).toEqual(["b", "c"]);
      expect(await ids({ since: 0, platform: "slack", userId: "U1" })).toEqual(["a", "d", "e"]);
      expect(await ids({ since: 0, platform: "discord" })).toEqual(["c"]);
      expect(await store.sumUsage({ since: 0 })).toEqual({
        ...zeroTotals(),
        requests: 5,
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

  describe(`${name}: open requests`, () => {
    it("keeps a request from arrival to its end, oldest first, with its reply address", async () => {
      const store = await openStore();
      await store.openRequest(openRequest("r2", { receivedAt: 2_000 }));
      await store.openRequest(openRequest("r1", { receivedAt: 1_000, platform: "discord" }));
      await store.startOpenRequest("r1", 1_500);
      expect(await store.listOpenRequests()).toEqual([
        openRequest("r1", { receivedAt: 1_000, platform: "discord", startedAt: 1_500 }),
        openRequest("r2", { receivedAt: 2_000 }),
      ]);
      // A replayed id replaces its row rather than failing the request.
      await store.openRequest(openRequest("r2", { receivedAt: 3_000 }));
      await store.closeOpenRequest("r1");
      await store.closeOpenRequest("unknown");
      expect(await store.listOpenRequests()).toEqual([openRequest("r2", { receivedAt: 3_000 })]);
    });
  });

  describeReplicaContract(name, openStore, (ms) => {
    clock += ms;
  });
}
