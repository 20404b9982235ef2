import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FatalError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logger.ts";
import { MIGRATIONS, migrate } from "../../src/store/migrations.ts";
import { openSqliteStore, SqliteStore } from "../../src/store/sqlite-store.ts";
import type { ConversationMessage } from "../../src/store/types.ts";
import { describeStoreContract } from "../helpers/store-contract.ts";

const KEY = "slack:T123:C456:1700000000.000100";

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

/** The raw file behind an open store: a SqliteStore on a file remembers its path. */
const files = new WeakMap<object, string>();

describeStoreContract("SQLite", {
  async open(now, logger) {
    const file = path.join(dir, `contract-${Math.random().toString(36).slice(2)}.sqlite`);
    const store = openSqliteStore({ path: file, logger, now });
    files.set(store, file);
    return store;
  },
  async corruptMessage(store, conversationKey, seq, body) {
    const raw = new Database(files.get(store) ?? ":memory:");
    raw
      .prepare("UPDATE messages SET body = ? WHERE conversation_key = ? AND seq = ?")
      .run(body, conversationKey, seq);
    raw.close();
  },
});

describe("SqliteStore pings", () => {
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
});

function writeFile(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
