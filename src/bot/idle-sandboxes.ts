/**
 * The idle timeout (SANDBOX_IDLE_MINUTES) when replicas share the engine: each hands a
 * conversation's sandbox over after every request, so no process holds an idle one to suspend.
 * Instead, every minute each replica asks the engine and the shared kept files which containers
 * nobody has used for longer than the timeout, and suspends each under its conversation's turn
 * (files and variables kept, container removed). One replica wins each; the others find no
 * container left, and a conversation with a request anywhere is skipped until the next tick.
 */
import type { Logger } from "../logger.ts";

export interface IdleSandboxSource {
  /** Conversations with a running container nobody has used for longer than the idle timeout. */
  idleAcrossReplicas(): Promise<string[]>;
  /** Asked again under the conversation's turn: a request may have used it since the listing. */
  stillIdle(key: string): Promise<boolean>;
  /** Suspends the conversation's sandbox; false when it had no running container. */
  suspend(key: string): Promise<boolean>;
}

export interface Housekeeper {
  housekeep(key: string, work: () => Promise<void>): Promise<boolean>;
}

export class IdleSandboxReaper {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly options: {
      bot: Housekeeper;
      sandbox: IdleSandboxSource;
      logger: Logger;
      intervalMs?: number;
    },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Suspends what is idle now; returns how many this replica suspended. Never throws. */
  async tick(): Promise<number> {
    const { bot, sandbox, logger } = this.options;
    let suspended = 0;
    try {
      for (const key of await sandbox.idleAcrossReplicas()) {
        await bot
          .housekeep(key, async () => {
            if (!(await sandbox.stillIdle(key))) return;
            if (await sandbox.suspend(key)) suspended += 1;
          })
          .catch((error: unknown) =>
            logger.warn({ err: error, conversation: key }, "could not suspend an idle sandbox"),
          );
      }
    } catch (error) {
      logger.warn({ err: error }, "could not look for idle sandboxes");
    }
    if (suspended > 0) logger.info({ suspended }, "suspended idle sandboxes");
    return suspended;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}
