import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BotError, FatalError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logger.ts";
import { MIGRATIONS, migrate } from "../../src/store/migrations.ts";
import { openSqliteStore, SqliteStore } from "../../src/store/sqlite-store.ts";
import type { ConversationMessage } from "../../src/store/types.ts";

const KEY = "slack:T123:C456:1700000000.000100";
const OTHER = "discord:guild:channel:thread";

let dir: string;
let clock: number;
const open: SqliteStore[] = [];

function openStore(file = ":memory:", logger = silentLogger()): SqliteStore {
  const store = openSqliteStore({ path: file, logger, now: () => clock });
  open.push(store);
  return store;
}

function user(content: string): ConversationMessage {
  return { role: "user", content };
}

/** Collects what the store logs, to assert that a skipped row was reported. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function openError(file: string): Promise<unknown> {
  try {
    openStore(file);
  } catch (error) {
    return error;
  }
  throw new Error(`expected opening ${file} to fail`);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "sqlite-store-"));
  clock = 1_000;
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SqliteStore messages", () => {
  it("appends in order with increasing seq per conversation", async () => {
    const store = openStore();
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
    const store = openStore();
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

  it("round-trips tool calls and optional fields exactly", async () => {
    const store = openStore();
    const messages: ConversationMessage[] = [
      { role: "user", content: "plot sin(x)", author: "U42" },
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
    const store = openStore();
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
    const file = path.join(dir, "bot.sqlite");
    const { logger, lines } = capturingLogger();
    const store = openStore(file, logger);
    await store.appendMessages(KEY, [user("good"), user("broken"), user("mistyped"), user("also good")]);

    const raw = new Database(file);
    raw.prepare("UPDATE messages SET body = ? WHERE seq = 2").run("{not json");
    raw.prepare("UPDATE messages SET body = ? WHERE seq = 3").run('{"role":"user","content":42}');
    raw.close();

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
    const store = openStore();
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

describe("SqliteStore conversations, sessions and deliveries", () => {
  it("lists conversations newest first with counts, filtered by platform", async () => {
    const store = openStore();
    await store.appendMessages(KEY, [user("a")]);
    clock = 2_000;
    await store.appendMessages(OTHER, [user("b"), user("c")]);
    clock = 3_000;
    await store.appendMessages("cli:local", []);

    const all = await store.listConversations();
    expect(all.map((c) => [c.key, c.platform, c.messageCount])).toEqual([
      ["cli:local", "cli", 0],
      [OTHER, "discord", 2],
      [KEY, "slack", 1],
    ]);
    expect((await store.listConversations({ platform: "discord" })).map((c) => c.key)).toEqual([OTHER]);
    expect(await store.listConversations({ limit: 1 })).toHaveLength(1);
    expect(await store.getConversation("slack:missing")).toBeNull();
  });

  it("records, replaces and removes sandbox sessions", async () => {
    const store = openStore();
    const session = { conversationKey: KEY, containerName: "ci-sbx-1", createdAt: 10, lastUsedAt: 20 };
    await store.recordSandboxSession(session);
    expect(await store.getSandboxSession(KEY)).toEqual(session);
    await store.recordSandboxSession({ ...session, containerName: "ci-sbx-2", lastUsedAt: 30 });
    expect(await store.getSandboxSession(KEY)).toEqual({
      ...session,
      containerName: "ci-sbx-2",
      lastUsedAt: 30,
    });
    await store.removeSandboxSession(KEY);
    expect(await store.getSandboxSession(KEY)).toBeNull();
  });

  it("claims a delivery once, and again after its TTL", async () => {
    const store = openStore();
    expect(await store.claimDelivery("Ev1", 10_000)).toBe(true);
    clock += 9_999;
    expect(await store.claimDelivery("Ev1", 10_000)).toBe(false);
    expect(await store.claimDelivery("Ev2", 10_000)).toBe(true);
    clock += 2;
    expect(await store.claimDelivery("Ev1", 10_000)).toBe(true);
    expect(await store.claimDelivery("Ev1", 10_000)).toBe(false);
  });

  it("pings with a committed write that does not touch real deliveries", async () => {
    const store = openStore(path.join(dir, "bot.sqlite"));
    expect(await store.claimDelivery("web:Ev1", 10_000)).toBe(true);
    await store.ping();
    clock += 1;
    await store.ping();
    expect(await store.claimDelivery("web:Ev1", 10_000)).toBe(false);
  });

  it("fails its ping, saying what to check, when the database cannot take writes", async () => {
    const file = path.join(dir, "bot.sqlite");
    await openStore(file).close();
    const readOnly = new SqliteStore(new Database(file, { readonly: true }), {
      path: file,
      logger: silentLogger(),
    });
    open.push(readOnly);
    const error = await readOnly.ping().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "store-unusable", action: "stop" });
    expect(String(error)).toContain("DATA_DIR");
  });
});

describe("SqliteStore files and schema", () => {
  it("keeps history across a restart (close and reopen)", async () => {
    const file = path.join(dir, "nested", "data", "bot.sqlite");
    const first = openStore(file);
    await first.appendMessages(KEY, [user("before restart")]);
    expect(await first.claimDelivery("Ev1", 60_000)).toBe(true);
    await first.close();

    const second = openStore(file);
    expect((await second.listMessages(KEY)).map((m) => m.message)).toEqual([user("before restart")]);
    expect(await second.claimDelivery("Ev1", 60_000)).toBe(false);
    await second.appendMessages(KEY, [user("after restart")]);
    expect((await second.listMessages(KEY)).map((m) => m.seq)).toEqual([1, 2]);
  });

  it("applies each migration once, and uses WAL for files", async () => {
    const file = path.join(dir, "bot.sqlite");
    await openStore(file).close();
    clock = 9_000;
    await openStore(file).close();

    const raw = new Database(file);
    const rows = raw.prepare("SELECT id, applied_at FROM schema_migrations ORDER BY id").all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ id: m.id, applied_at: 1_000 })));
    expect(migrate(raw)).toEqual([]);
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
  });

  it("rolls back every migration in a run when one fails", () => {
    const raw = new Database(":memory:");
    const broken = [...MIGRATIONS, { id: 1_000, sql: "CREATE TABLE nope (" }];
    expect(() => migrate(raw, broken)).toThrow();
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
    raw.close();
  });

  it("refuses a database written by a newer release", async () => {
    const file = path.join(dir, "bot.sqlite");
    await openStore(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES (999, 0)").run();
    raw.close();

    const error = await openError(file);
    expect(error).toBeInstanceOf(FatalError);
    expect(error).toMatchObject({ code: "store-schema-newer" });
    expect(String(error)).toMatch(/999.*newer release/s);
  });

  it.each([
    ["a directory", () => dir],
    ["a path under a regular file", () => path.join(writeFile("plain.txt", "x"), "bot.sqlite")],
    ["a file that is not SQLite", () => writeFile("junk.sqlite", "not a database ".repeat(100))],
  ])("fails with a FatalError naming the path for %s", async (_, makePath) => {
    const file = makePath();
    const error = await openError(file);
    expect(error).toBeInstanceOf(FatalError);
    expect(error).toMatchObject({ code: "store-open-failed", action: "stop" });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain("DATA_DIR");
  });

  it("rejects calls after close with a clear error", async () => {
    const store = openStore();
    await store.close();
    await store.close();
    const error = await store.listMessages(KEY).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BotError);
    expect(error).toMatchObject({ code: "store-closed" });
    expect(String(error)).toMatch(/closed/);
  });
});

function writeFile(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
