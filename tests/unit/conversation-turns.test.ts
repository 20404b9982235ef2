/**
 * A conversation's turn across replicas, against a store that says no, or cannot answer: the
 * request waits (saying so once) until its turn, and a store fault never holds a request up.
 */
import { describe, expect, it } from "vitest";
import { ConversationTurns } from "../../src/bot/conversation-turns.ts";
import type { Store } from "../../src/store/types.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";

type TurnStore = Pick<Store, "takeConversationTurn" | "releaseConversationTurn">;

function turns(store: TurnStore): ConversationTurns {
  let now = 1_000;
  return new ConversationTurns(store, "replica-a", () => now++, true);
}

describe("ConversationTurns", () => {
  it("stamps arrivals in increasing order, even within one millisecond", () => {
    const store: TurnStore = {
      takeConversationTurn: async () => true,
      releaseConversationTurn: async () => undefined,
    };
    const frozen = new ConversationTurns(store, "replica-a", () => 5_000, true);
    const stamps = [frozen.arrive(), frozen.arrive(), frozen.arrive()];
    expect(stamps.map((arrival) => arrival.receivedAt)).toEqual([5_000, 5_001, 5_002]);
    expect(new Set(stamps.map((arrival) => arrival.id)).size).toBe(3);
  });

  it("waits until the store gives the turn, says so once, and releases it", async () => {
    let asked = 0;
    const released: string[] = [];
    const store: TurnStore = {
      takeConversationTurn: async () => {
        asked += 1;
        return asked >= 3;
      },
      releaseConversationTurn: async (_key, request) => void released.push(request),
    };
    const subject = turns(store);
    const arrival = subject.arrive();
    let waits = 0;
    const { logger } = collectingLogger();
    const held = await subject.take("slack:T:C:1", arrival, {
      signal: new AbortController().signal,
      onWait: async () => {
        waits += 1;
      },
      log: logger,
    });
    expect([asked, waits]).toEqual([3, 1]);
    await held.release();
    expect(released).toEqual([arrival.id]);
  });

  it("stops waiting when the request is cancelled", async () => {
    const store: TurnStore = {
      takeConversationTurn: async () => false,
      releaseConversationTurn: async () => undefined,
    };
    const subject = turns(store);
    const controller = new AbortController();
    const { logger } = collectingLogger();
    const taking = subject.take("slack:T:C:1", subject.arrive(), {
      signal: controller.signal,
      onWait: async () => controller.abort(new Error("cancelled by the person")),
      log: logger,
    });
    await expect(taking).rejects.toThrow("cancelled by the person");
  });

  it("runs the request, logged, when the store cannot answer", async () => {
    const store: TurnStore = {
      takeConversationTurn: async () => {
        throw new Error("connection terminated");
      },
      releaseConversationTurn: async () => {
        throw new Error("still down");
      },
    };
    const { logger, lines } = collectingLogger();
    const subject = turns(store);
    const held = await subject.take("slack:T:C:1", subject.arrive(), {
      signal: new AbortController().signal,
      onWait: async () => undefined,
      log: logger,
    });
    await held.release();
    expect(lines.map((line) => line.msg)).toContain(
      "could not take the conversation's turn; running without it",
    );
  });
});
