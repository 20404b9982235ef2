/**
 * The Store contract's part about replicas (bot processes sharing one store): who is alive, who
 * answers what a dead one left open, and whose turn a conversation is. Run by describeStoreContract.
 */
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.ts";
import { KEY, OTHER, openRequest } from "./store-fixtures.ts";

export function describeReplicaContract(
  name: string,
  openStore: () => Promise<Store>,
  advance: (ms: number) => void,
): void {
  describe(`${name}: replicas`, () => {
    const ALIVE_MS = 20_000;
    const turn = (requestId: string, replicaId: string, receivedAt: number, key = KEY) => ({
      conversationKey: key,
      requestId,
      replicaId,
      receivedAt,
    });

    it("hands a dead replica's open requests to exactly one live replica", async () => {
      const store = await openStore();
      await store.registerReplica("a", { exclusive: false });
      await store.registerReplica("b", { exclusive: false });
      await store.openRequest(openRequest("r1", { owner: "a" }));
      await store.openRequest(openRequest("r2", { owner: "b", receivedAt: 2_000 }));
      await store.openRequest(openRequest("legacy", { owner: null, receivedAt: 500 }));
      // A row from before replicas belongs to nobody alive: the first to look takes it.
      expect((await store.claimOrphanedRequests("b", ALIVE_MS)).map((r) => [r.id, r.owner])).toEqual([
        ["legacy", "b"],
      ]);
      advance(ALIVE_MS - 1);
      await store.heartbeatReplica("b");
      await store.registerReplica("c", { exclusive: false });
      expect(await store.claimOrphanedRequests("c", ALIVE_MS)).toEqual([]);
      advance(2);
      // a has not been heard from for longer than ALIVE_MS: its request goes to one survivor only.
      const [byB, byC] = await Promise.all([
        store.claimOrphanedRequests("b", ALIVE_MS),
        store.claimOrphanedRequests("c", ALIVE_MS),
      ]);
      expect([...(byB ?? []), ...(byC ?? [])].map((r) => r.id)).toEqual(["r1"]);
      const owners = (await store.listOpenRequests()).map((r) => [r.id, r.owner]);
      expect(owners).toContainEqual(["r2", "b"]);
    });

    it("lists the replicas heard from lately, oldest first", async () => {
      const store = await openStore();
      await store.registerReplica("first", { exclusive: false });
      advance(1);
      await store.registerReplica("second", { exclusive: false });
      expect((await store.listReplicas(ALIVE_MS)).map((replica) => replica.id)).toEqual(["first", "second"]);
      advance(ALIVE_MS);
      await store.heartbeatReplica("second");
      expect(await store.listReplicas(ALIVE_MS)).toMatchObject([
        { id: "second", heartbeatAt: expect.any(Number) },
      ]);
    });

    it("forgets every other replica for an exclusive store, and lets one leave at once", async () => {
      const store = await openStore();
      await store.registerReplica("old", { exclusive: false });
      await store.openRequest(openRequest("left-behind", { owner: "old" }));
      await store.registerReplica("new", { exclusive: true });
      expect((await store.claimOrphanedRequests("new", ALIVE_MS)).map((r) => r.id)).toEqual(["left-behind"]);
      await store.registerReplica("peer", { exclusive: false });
      await store.openRequest(openRequest("peer's", { owner: "peer" }));
      expect(await store.claimOrphanedRequests("new", ALIVE_MS)).toEqual([]);
      await store.removeReplica("peer");
      expect((await store.claimOrphanedRequests("new", ALIVE_MS)).map((r) => r.id)).toEqual(["peer's"]);
    });

    it("gives a conversation's turn to one request at a time, oldest across replicas first", async () => {
      const store = await openStore();
      await store.registerReplica("a", { exclusive: false });
      await store.registerReplica("b", { exclusive: false });
      await store.openRequest(openRequest("first", { owner: "a", receivedAt: 1_000 }));
      await store.openRequest(openRequest("second", { owner: "b", receivedAt: 1_001 }));
      // b's request is newer than a's, still open on a live replica: it waits.
      expect(await store.takeConversationTurn(turn("second", "b", 1_001), ALIVE_MS)).toBe(false);
      expect(await store.takeConversationTurn(turn("first", "a", 1_000), ALIVE_MS)).toBe(true);
      // Taking it again is harmless; another conversation is not held up.
      expect(await store.takeConversationTurn(turn("first", "a", 1_000), ALIVE_MS)).toBe(true);
      expect(await store.takeConversationTurn(turn("elsewhere", "b", 1_002, OTHER), ALIVE_MS)).toBe(true);
      await store.closeOpenRequest("first");
      // The older request is done, but a still holds the turn until it releases it.
      expect(await store.takeConversationTurn(turn("second", "b", 1_001), ALIVE_MS)).toBe(false);
      await store.releaseConversationTurn(KEY, "first");
      expect(await store.takeConversationTurn(turn("second", "b", 1_001), ALIVE_MS)).toBe(true);
      expect(await store.takeConversationTurn(turn("third", "a", 1_003), ALIVE_MS)).toBe(false);
    });

    it("frees a turn held by a replica that died", async () => {
      const store = await openStore();
      await store.registerReplica("a", { exclusive: false });
      await store.registerReplica("b", { exclusive: false });
      expect(await store.takeConversationTurn(turn("a's", "a", 1_000), ALIVE_MS)).toBe(true);
      expect(await store.takeConversationTurn(turn("b's", "b", 1_001), ALIVE_MS)).toBe(false);
      advance(ALIVE_MS + 1);
      await store.heartbeatReplica("b");
      expect(await store.takeConversationTurn(turn("b's", "b", 1_001), ALIVE_MS)).toBe(true);
    });

    it("lets one of two replicas racing for a free turn have it", async () => {
      const store = await openStore();
      await store.registerReplica("a", { exclusive: false });
      await store.registerReplica("b", { exclusive: false });
      const taken = await Promise.all([
        store.takeConversationTurn(turn("a's", "a", 1_000), ALIVE_MS),
        store.takeConversationTurn(turn("b's", "b", 1_000), ALIVE_MS),
      ]);
      expect(taken.filter(Boolean)).toHaveLength(1);
    });
  });
}
