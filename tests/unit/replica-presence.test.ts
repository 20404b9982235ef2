/**
 * Replicas on one store: each says it is alive; what one that falls silent left open is handed
 * to exactly one survivor; a store only one process uses hands over at once at start-up.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ReplicaPresence } from "../../src/bot/replica-presence.ts";
import { silentLogger } from "../../src/logger.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.ts";
import type { OpenRequest } from "../../src/store/types.ts";
import { waitUntil } from "../helpers/wait-until.ts";

const stores: SqliteStore[] = [];
const presences: ReplicaPresence[] = [];

afterEach(async () => {
  for (const presence of presences.splice(0)) await presence.leave();
  for (const store of stores.splice(0)) await store.close();
});

function store(): SqliteStore {
  const opened = openSqliteStore({ path: ":memory:", logger: silentLogger() });
  stores.push(opened);
  return opened;
}

function presence(on: SqliteStore, id: string, exclusive = false): ReplicaPresence {
  const made = new ReplicaPresence({
    store: on,
    id,
    exclusive,
    logger: silentLogger(),
    heartbeatMs: 20,
    aliveWithinMs: 200,
  });
  presences.push(made);
  return made;
}

function request(id: string, owner: string): OpenRequest {
  return {
    id,
    platform: "slack",
    conversationKey: "slack:T:C:1",
    replyAddress: { channel: "C" },
    receivedAt: Date.now(),
    startedAt: null,
    owner,
  };
}

describe("ReplicaPresence", () => {
  it("hands what a silent replica left open to one survivor, once", async () => {
    const shared = store();
    const [a, b, c] = [presence(shared, "a"), presence(shared, "b"), presence(shared, "c")];
    for (const replica of [a, b, c]) expect(await replica.join()).toEqual([]);
    await shared.openRequest(request("r1", "a"));
    const adopted: string[] = [];
    const adopt = (by: string) => async (orphans: OpenRequest[]) => {
      for (const orphan of orphans) adopted.push(`${by}:${orphan.id}`);
    };
    b.watch(adopt("b"));
    c.watch(adopt("c"));
    // a never watches: it stops saying it is alive, as a killed process would.
    await waitUntil("the orphan to be adopted", () => adopted.length > 0, 10_000);
    // Three more heartbeats of each survivor: nobody adopts it a second time.
    const claims = vi.spyOn(shared, "claimOrphanedRequests");
    await waitUntil("more heartbeats", () => claims.mock.calls.length >= 6, 10_000);
    expect(adopted).toHaveLength(1);
    expect(adopted[0]).toMatch(/^[bc]:r1$/);
  });

  it("takes over at once what an earlier process on an exclusive store left", async () => {
    const own = store();
    await presence(own, "before").join();
    await own.openRequest(request("left", "before"));
    expect((await presence(own, "after", true).join()).map((r) => r.id)).toEqual(["left"]);
  });

  it("leaves at once, so another replica takes over without waiting for the silence", async () => {
    const shared = store();
    const leaving = presence(shared, "leaving");
    await leaving.join();
    await shared.openRequest(request("late", "leaving"));
    await leaving.leave();
    expect((await shared.claimOrphanedRequests("other", 60_000)).map((r) => r.id)).toEqual(["late"]);
  });
});
