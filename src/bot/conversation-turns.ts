/**
 * One request per conversation at a time across every replica of the bot, in arrival order.
 * Within a process, ConversationQueue already lines a conversation's requests up; this adds the
 * store's turn, which another replica may hold (the same thread's messages reach whichever
 * replica Slack or a load balancer picked). A request whose turn is held waits, polling, and
 * says it is queued; a holder that dies frees the turn when its heartbeat lapses.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { ConversationTurn, Store } from "../store/types.ts";
import type { Arrival } from "./open-requests.ts";
import { REPLICA_ALIVE_WITHIN_MS } from "./replica-presence.ts";

/** How often a waiting request asks again; a chat reply can afford a quarter second. */
const POLL_MS = 250;

export interface HeldTurn {
  release(): Promise<void>;
}

/** A turn the store was not asked for: nothing to give back. */
const NOT_HELD: HeldTurn = { release: async () => undefined };

export interface TurnWait {
  signal: AbortSignal;
  /** Called once, when the request first has to wait. */
  onWait(): Promise<void>;
  log: Logger;
}

export class ConversationTurns {
  private lastArrival = 0;

  constructor(
    private readonly store: Pick<Store, "takeConversationTurn" | "releaseConversationTurn">,
    private readonly replicaId: string,
    private readonly now: () => number,
    /** False when no other process uses the store (SQLite): the local queue is the whole order. */
    private readonly shared: boolean,
    private readonly aliveWithinMs: number = REPLICA_ALIVE_WITHIN_MS,
  ) {}

  /** A new request's place: ids are unique, and times increase even within one millisecond. */
  arrive(): Arrival {
    this.lastArrival = Math.max(this.now(), this.lastArrival + 1);
    return { id: randomUUID(), receivedAt: this.lastArrival };
  }

  /**
   * Resolves once the turn is this request's; rejects when `signal` aborts first. A store that
   * cannot answer does not hold the request up: it runs, logged, as if the turn were free
   * (this process's own queue still keeps its conversations in order).
   */
  async take(conversationKey: string, arrival: Arrival, wait: TurnWait): Promise<HeldTurn> {
    if (!this.shared) return NOT_HELD;
    const { signal, onWait, log } = wait;
    const turn = this.turnOf(conversationKey, arrival);
    let waited = false;
    for (;;) {
      signal.throwIfAborted();
      let taken: boolean;
      try {
        taken = await this.store.takeConversationTurn(turn, this.aliveWithinMs);
      } catch (error) {
        log.warn({ err: error }, "could not take the conversation's turn; running without it");
        return NOT_HELD;
      }
      if (taken) {
        if (waited) log.info("the conversation's turn came after another replica's request");
        return { release: () => this.release(turn, log) };
      }
      if (!waited) {
        waited = true;
        await onWait();
      }
      await abortableDelay(POLL_MS, signal);
    }
  }

  /**
   * The conversation's turn now, for housekeeping (suspending an idle sandbox), or null when a
   * request here or on another replica holds it or waits for it, or the store cannot answer.
   * Housekeeping waits for nobody: it tries again later. The caller keeps this process's own
   * requests out (ConversationQueue), as the store gives a replica back a turn it holds.
   */
  async tryTake(conversationKey: string, log: Logger): Promise<HeldTurn | null> {
    const turn = this.turnOf(conversationKey, this.arrive());
    try {
      if (!(await this.store.takeConversationTurn(turn, this.aliveWithinMs))) return null;
    } catch (error) {
      log.warn({ err: error }, "could not take the conversation's turn for housekeeping");
      return null;
    }
    return { release: () => this.release(turn, log) };
  }

  private turnOf(conversationKey: string, arrival: Arrival): ConversationTurn {
    return {
      conversationKey,
      requestId: arrival.id,
      replicaId: this.replicaId,
      receivedAt: arrival.receivedAt,
    };
  }

  private async release(turn: ConversationTurn, log: Logger): Promise<void> {
    try {
      await this.store.releaseConversationTurn(turn.conversationKey, turn.requestId);
    } catch (error) {
      // Not fatal: the turn lapses with this replica, or this replica's next request takes it back.
      log.warn({ err: error }, "could not release the conversation's turn");
    }
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal.removeEventListener("abort", aborted);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", aborted, { once: true });
  });
}
