/**
 * This bot process as one replica among others on the same store: it says it is alive every few
 * seconds, and takes over, exactly once across replicas, the open requests of a replica that
 * stopped saying so (killed, or its machine gone), so each gets an answer in its thread. With
 * SQLite there is one process per DATA_DIR, so every other replica is an earlier process of
 * this one and what it left is taken over at once.
 */
import type { Logger } from "../logger.ts";
import type { OpenRequest, Store } from "../store/types.ts";

export const REPLICA_HEARTBEAT_MS = 5_000;
/** Four missed heartbeats: a replica slower than that to write a row is taken for dead. */
export const REPLICA_ALIVE_WITHIN_MS = 20_000;

export interface ReplicaPresenceOptions {
  store: Store;
  id: string;
  /** True for a store only one process uses (SQLite): other replicas are earlier processes. */
  exclusive: boolean;
  logger: Logger;
  heartbeatMs?: number;
  aliveWithinMs?: number;
}

export class ReplicaPresence {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly options: ReplicaPresenceOptions) {}

  /**
   * Registers, and returns what earlier or dead replicas left open. Called before the adapters
   * start: once they do, this process opens rows of its own, which are nobody's to answer but its own.
   */
  async join(): Promise<OpenRequest[]> {
    const { store, id, exclusive, logger } = this.options;
    try {
      await store.registerReplica(id, { exclusive });
    } catch (error) {
      logger.error(
        { err: error },
        "could not register this bot process; other replicas may take it for dead",
      );
    }
    return this.orphans();
  }

  /** From now on, every heartbeat also hands `adopt` what replicas that died since left open. */
  watch(adopt: (orphans: OpenRequest[]) => Promise<unknown>): void {
    const interval = this.options.heartbeatMs ?? REPLICA_HEARTBEAT_MS;
    this.timer = setInterval(() => {
      // One beat at a time: a slow store must not pile heartbeats up.
      this.beating = this.beating.then(async () => {
        await this.beat();
        const orphans = await this.orphans();
        if (orphans.length > 0) await adopt(orphans);
      });
    }, interval);
    this.timer.unref();
  }

  /** Leaves at once, so the other replicas take over whatever this one leaves open. */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    try {
      await this.options.store.removeReplica(this.options.id);
    } catch (error) {
      this.options.logger.warn({ err: error }, "could not unregister this bot process; it lapses by itself");
    }
  }

  private async beat(): Promise<void> {
    try {
      await this.options.store.heartbeatReplica(this.options.id);
    } catch (error) {
      this.options.logger.warn({ err: error }, "could not record that this bot process is alive");
    }
  }

  private async orphans(): Promise<OpenRequest[]> {
    const { store, id, logger } = this.options;
    try {
      return await store.claimOrphanedRequests(id, this.options.aliveWithinMs ?? REPLICA_ALIVE_WITHIN_MS);
    } catch (error) {
      logger.error(
        { err: error },
        "could not read the requests other bot processes left open; they get no answer yet",
      );
      return [];
    }
  }
}
