/**
 * The PostgreSQL store against a real server (Debian's PostgreSQL, started by the test): the
 * same contract SQLite passes, then what only a shared server brings: several replicas writing
 * at once, a server that restarts under the bot, and settings an admin can get wrong.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FatalError, RetryableError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logger.ts";
import { POSTGRES_MIGRATIONS } from "../../src/store/postgres-migrations.ts";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres-store.ts";
import type { ConversationMessage } from "../../src/store/types.ts";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { describeStoreContract } from "../helpers/store-contract.ts";

let server: TestPostgres;
const urls = new WeakMap<object, string>();
const replicas: PostgresStore[] = [];

beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);

afterEach(async () => {
  for (const store of replicas.splice(0)) await store.close();
});

afterAll(async () => {
  await server?.stop();
});

async function query(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** `count` stores on one database, as `count` replicas of the bot would open it. */
async function openReplicas(count: number, url?: string): Promise<PostgresStore[]> {
  const database = url ?? (await server.createDatabase());
  const stores = await Promise.all(
    Array.from({ length: count }, () => openPostgresStore({ url: database, logger: silentLogger() })),
  );
  replicas.push(...stores);
  return stores;
}

function user(content: string): ConversationMessage {
  return { role: "user", content };
}

describeStoreContract("PostgreSQL", {
  async open(now, logger) {
    const url = await server.createDatabase();
    const store = await openPostgresStore({ url, logger, now });
    urls.set(store, url);
    return store;
  },
  async corruptMessage(store, conversationKey, seq, body) {
    const url = urls.get(store);
    if (!url) throw new Error("corruptMessage needs a store the contract opened");
    await query(url, "UPDATE messages SET body = $1 WHERE conversation_key = $2 AND seq = $3", [
      body,
      conversationKey,
      seq,
    ]);
  },
});

describe("PostgreSQL: replicas on one database", () => {
  it("migrate once when they start together, and agree on the schema", async () => {
    const url = await server.createDatabase();
    await openReplicas(4, url);
    const { rows } = await query(url, "SELECT id FROM schema_migrations ORDER BY id");
    expect(rows.map((row) => row.id)).toEqual(POSTGRES_MIGRATIONS.map((migration) => migration.id));
  });

  it("append to one conversation at once without losing or reusing a seq", async () => {
    const [a, b] = await openReplicas(2);
    if (!a || !b) throw new Error("two replicas expected");
    const key = "slack:T:C:shared";
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? a : b).appendMessages(key, [user(`${i}`), user(`${i}b`)]),
      ),
    );
    const stored = await b.listMessages(key);
    expect(stored.map((message) => message.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    // Each append's two messages stay next to each other: one append is one transaction.
    for (let index = 0; index < stored.length; index += 2) {
      const first = stored[index]?.message;
      const second = stored[index + 1]?.message;
      expect(second).toEqual(user(`${first?.role === "user" ? first.content : "?"}b`));
    }
    expect((await a.getConversation(key))?.messageCount).toBe(80);
  });

  it("claim a redelivered event exactly once between them", async () => {
    const stores = await openReplicas(3);
    const ids = Array.from({ length: 30 }, (_, i) => `slack:Ev${i}`);
    const claims = await Promise.all(
      stores.flatMap((store) => ids.map(async (id) => ({ id, won: await store.claimDelivery(id, 60_000) }))),
    );
    for (const id of ids) {
      expect(claims.filter((claim) => claim.id === id && claim.won)).toHaveLength(1);
    }
  });

  it("each ping on its own row, so replicas checking at once all pass", async () => {
    const stores = await openReplicas(3);
    await Promise.all(stores.flatMap((store) => Array.from({ length: 5 }, () => store.ping())));
  });

  it("see what another replica wrote: a conversation started on one continues on the other", async () => {
    const [a, b] = await openReplicas(2);
    if (!a || !b) throw new Error("two replicas expected");
    const key = "discord:G:C:T";
    await a.appendMessages(key, [user("started on A")]);
    await a.recordSandboxSession({
      conversationKey: key,
      containerName: "sbx-a",
      createdAt: 1,
      lastUsedAt: 2,
    });
    await b.appendMessages(key, [user("continued on B")]);
    expect((await a.listMessages(key)).map((message) => message.message)).toEqual([
      user("started on A"),
      user("continued on B"),
    ]);
    expect((await b.getSandboxSession(key))?.containerName).toBe("sbx-a");
  });
});

describe("PostgreSQL: a server that goes away and comes back", () => {
  it("reports a stopped server as a passing fault, then works again on the same store", async () => {
    const [store] = await openReplicas(1);
    if (!store) throw new Error("a store expected");
    await store.appendMessages("web:w:c:t", [user("before")]);
    await server.shutDown();
    try {
      const error = await store.listMessages("web:w:c:t").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetryableError);
      expect(error).toMatchObject({ code: "store-unreachable" });
      expect(String(error)).toMatch(/cannot be reached.*PostgreSQL is running/s);
    } finally {
      await server.startAgain();
    }
    await store.appendMessages("web:w:c:t", [user("after")]);
    expect((await store.listMessages("web:w:c:t")).map((message) => message.message)).toEqual([
      user("before"),
      user("after"),
    ]);
  });
});

describe("PostgreSQL: what an admin can get wrong", () => {
  it("names the database it cannot open, never its password, and how to fall back to SQLite", async () => {
    const url = new URL(server.url);
    url.password = "s3cret-password";
    url.pathname = "/no_such_database";
    const error = await openPostgresStore({ url: url.toString(), logger: silentLogger() }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FatalError);
    expect(error).toMatchObject({ code: "store-open-failed", action: "stop" });
    const message = String(error);
    expect(message).toContain("no_such_database");
    expect(message).toContain("DATABASE_URL");
    expect(message).not.toContain("s3cret-password");
  });

  it("says a server that is not there cannot be reached", async () => {
    const url = new URL(server.url);
    url.port = "1";
    const error = await openPostgresStore({ url: url.toString(), logger: silentLogger() }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "store-open-failed" });
    expect(String(error)).toMatch(/127\.0\.0\.1:1.*cannot be reached/s);
  });

  it("refuses a database a newer release migrated, on every replica", async () => {
    const url = await server.createDatabase();
    await (await openReplicas(1, url))[0]?.close();
    await query(url, "INSERT INTO schema_migrations (id, applied_at) VALUES (999, 0)");
    const error = await openPostgresStore({ url, logger: silentLogger() }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "store-schema-newer" });
    expect(String(error)).toMatch(/999.*newer release.*every replica/s);
  });
});
