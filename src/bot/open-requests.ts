/**
 * Remembers, in the store, each request the bot has taken on until its reply is complete, so a
 * process killed mid-request (SIGKILL, a power cut, the OOM killer) leaves a row behind and the
 * next start can answer it in its thread (interrupted-requests.ts). A store that cannot take
 * the row must not cost the request: the failure is logged and the request goes on.
 */
import type { Logger } from "../logger.ts";
import type { Store } from "../store/types.ts";
import type { IncomingMessage } from "./incoming-message.ts";

/** A remembered request; null for one that is not (no reply address, or the store refused). */
export type OpenRequestId = string | null;

/** A request's place in its conversation: its id and when this replica took it on. */
export interface Arrival {
  id: string;
  receivedAt: number;
}

export class OpenRequests {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly replicaId: string,
  ) {}

  async opened(
    message: IncomingMessage,
    conversationKey: string,
    arrival: Arrival,
    log: Logger,
  ): Promise<OpenRequestId> {
    if (!message.replyAddress) return null;
    const { id, receivedAt } = arrival;
    const request = {
      id,
      platform: message.conversation.platform,
      conversationKey,
      replyAddress: message.replyAddress,
      receivedAt,
      startedAt: null,
      owner: this.replicaId,
    };
    return (await this.attempt(log, "remember", () => this.store.openRequest(request))) ? id : null;
  }

  async started(id: OpenRequestId, log: Logger): Promise<void> {
    if (id) await this.attempt(log, "mark as started", () => this.store.startOpenRequest(id, this.now()));
  }

  async closed(id: OpenRequestId, log: Logger): Promise<void> {
    if (id) await this.attempt(log, "forget", () => this.store.closeOpenRequest(id));
  }

  private async attempt(log: Logger, what: string, write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      log.warn({ err: error }, `could not ${what} an open request; a restart now would not answer it`);
      return false;
    }
  }
}
