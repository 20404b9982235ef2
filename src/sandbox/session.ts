/**
 * One conversation's sandbox: a container with a live kernel, and what to do when it fails.
 * Executions run one at a time. Every wait has a deadline: the supervisor enforces the
 * run's time limit itself, and this side keeps an outer deadline in case the supervisor
 * cannot (then the whole container is replaced). What carries over to a new container, and
 * what the next run says about it, is SessionContinuity's.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { ContainerHost, WaitOptions } from "./container-host.ts";
import type { AttachedContainer } from "./container-runtime.ts";
import { executionFromResult, executionWithoutResult } from "./execution-result.ts";
import type { KeptFiles } from "./kept-files.ts";
import type { SandboxLimits } from "./limits.ts";
import { cancelledBeforeRunNotice, containerLostNotice } from "./notices.ts";
import { OutputCollector } from "./output-collector.ts";
import type { SandboxSession } from "./sandbox.ts";
import { SessionContinuity } from "./session-continuity.ts";
import type { ResultMessage } from "./supervisor-protocol.ts";
import type { ExecuteOptions, Execution, RunStage, SandboxFile } from "./types.ts";
import { untilAborted } from "./until-aborted.ts";

/**
 * Time the bot allows past the supervisor's own deadline before it gives up on the container:
 * a margin, plus the most a run may wait for the kernel's background imports before its time
 * limit starts (PREIMPORT_WAIT_SECONDS in sandbox-image/kernel/cib_kernel_link.py).
 */
const OUTER_DEADLINE_MARGIN_MS = 10_000 + 30_000;

class OuterDeadline extends Error {}

export class ContainerSession implements SandboxSession {
  private attached: AttachedContainer | null = null;
  private opening: Promise<AttachedContainer | null> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Work in the exclusive queue now or waiting for it, and file transfers under way. */
  private queued = 0;
  private readonly continuity: SessionContinuity;
  lastUsedAt: number;
  running = false;
  closed = false;

  constructor(
    readonly key: string,
    private readonly host: ContainerHost,
    readonly limits: SandboxLimits,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** Where the conversation's files and variables are kept between containers; null keeps nothing. */
    kept: KeptFiles | null = null,
  ) {
    this.lastUsedAt = now();
    this.continuity = new SessionContinuity(kept, limits.dataMb * 1024 * 1024, logger);
  }

  get containerName(): string {
    return this.host.containerName(this.key);
  }

  /** Its container's channel broke since the last use; the next use attaches again or replaces it. */
  get channelBroken(): boolean {
    return this.attached?.client.broken != null;
  }

  /** Holds a container, or is opening one. */
  get hasContainer(): boolean {
    return this.attached !== null || this.opening !== null;
  }

  /** Holds a container that nothing uses or waits to use: suspending it would interrupt nobody. */
  get idleWithContainer(): boolean {
    return this.attached !== null && this.queued === 0 && this.opening === null && !this.closed;
  }

  /**
   * The container it holds, or the one it would make. On Kubernetes a conversation that took a
   * warm pod keeps the pod's pool name (a pod cannot be renamed).
   */
  get location(): string {
    return this.attached?.name ?? this.containerName;
  }

  /** Starts (or adopts) the container now instead of at the first use. */
  async open(): Promise<{ adopted: boolean }> {
    const attached = await this.requireContainer();
    return { adopted: attached.adopted };
  }

  /**
   * Runs code once the host has a run slot free and the session's earlier work is done. A
   * cancel stops it at any stage: while queued, while its container starts or is restored
   * (the code then never runs), or while the code runs.
   */
  async execute(code: string, options: ExecuteOptions = {}): Promise<Execution> {
    const started = this.now();
    const collector = new OutputCollector(this.limits.outputLimitBytes, options.onOutput);
    let stage: RunStage["stage"] = "queued";
    const wait: WaitOptions = {
      owner: options.owner ?? this.key,
      ...(options.signal ? { signal: options.signal } : {}),
      onStage: (next) => {
        stage = next.stage;
        options.onStage?.(next);
      },
    };
    const release = await this.host.runSlot(wait);
    if (!release) return this.cancelled(collector, started, "queued");
    try {
      return await this.exclusive(async () => {
        const attached = options.signal?.aborted ? null : await this.container(wait);
        if (!attached || options.signal?.aborted) return this.cancelled(collector, started, stage);
        return this.executeNow(code, options, attached, collector, wait);
      });
    } finally {
      release();
    }
  }

  putFile(path: string, data: Buffer): Promise<void> {
    return this.inUse(async (attached) => attached.client.putFile(path, data));
  }

  getFile(path: string, maxBytes = this.limits.maxFileBytes): Promise<Buffer> {
    return this.inUse(async (attached) => attached.client.getFile(path, maxBytes));
  }

  listFiles(): Promise<SandboxFile[]> {
    return this.inUse(async (attached) => attached.client.listFiles());
  }

  /**
   * A file transfer: it runs beside the runs, not behind them, but counts as use, so the session
   * is not suspended to make room while attachments are being copied in.
   */
  private async inUse<T>(work: (attached: AttachedContainer) => Promise<T>): Promise<T> {
    this.touch();
    this.queued += 1;
    try {
      return await work(await this.requireContainer());
    } finally {
      this.queued -= 1;
    }
  }

  /** A fresh Python process; with clearFiles, an empty /mnt/data too, and nothing kept. */
  reset(clearFiles: boolean): Promise<void> {
    return this.exclusive(async () => {
      await (await this.requireContainer()).client.restart(clearFiles, this.limits.startTimeoutMs);
      if (clearFiles) await this.continuity.startOver();
    });
  }

  /** Ends the conversation's sandbox: the container and the kept files are removed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.removeContainer();
    await this.continuity.forget();
  }

  /**
   * Removes the container but keeps the conversation: its files are kept already, its variables
   * are pickled now, and the next use starts a new container and restores both.
   */
  async suspend(): Promise<void> {
    // Behind the queue: a save of the last run's files needs the container, and a run waiting
    // here will find it gone and start a new one with everything restored.
    await this.exclusive(async () => {
      if (!this.attached) return;
      await this.keepVariables();
      await this.removeContainer();
      await this.continuity.touch();
    });
  }

  /**
   * Lets go of the container but leaves it running, so a later process can adopt it with its
   * variables. With `keepVariables` (the bot's shutdown) they are also pickled, in case the
   * container does not outlive the bot's absence.
   */
  async detach(options: { keepVariables?: boolean } = {}): Promise<void> {
    // Files of the last run may still be on their way out; they must be kept before letting go.
    await this.queue;
    if (options.keepVariables) await this.keepVariables();
    const attached = this.attached;
    this.attached = null;
    if (attached) await this.host.release(attached, "detach");
    await this.continuity.touch();
  }

  /**
   * Its container's engine stopped answering: the channel is closed with `reason`, so a run in
   * progress ends saying so, and the next one starts a container elsewhere with the kept files.
   */
  abandonIfOn(host: string, reason: string): void {
    if (this.attached?.host === host) this.attached.client.close(reason);
  }

  private async removeContainer(): Promise<void> {
    const attached = this.attached;
    this.attached = null;
    if (attached) await this.host.release(attached, "remove");
    else await this.host.removeUnattached(this.key);
  }

  private async keepVariables(): Promise<void> {
    if (this.attached) await this.continuity.keepVariables(this.attached.client);
  }

  private touch(): void {
    this.lastUsedAt = this.now();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const next = this.queue.then(work, work).finally(() => {
      this.queued -= 1;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async requireContainer(): Promise<AttachedContainer> {
    const attached = await this.container({ owner: this.key });
    // Only a signal cancels a wait, and this one has none.
    if (!attached) throw new Error("the wait for a sandbox was cancelled");
    return attached;
  }

  /**
   * The conversation's running container, opened (and restored) if need be. Null when the
   * signal aborts first; the container may still be opening then, and the next use gets it.
   */
  private async container(wait: WaitOptions): Promise<AttachedContainer | null> {
    for (;;) {
      if (this.closed) throw new Error("this sandbox session was closed");
      if (this.attached && !this.attached.client.broken) return this.attached;
      if (this.attached?.client.broken) {
        const lost = this.attached;
        this.attached = null;
        // Through an API server the channel can close while the container runs on (a WebSocket
        // closed when idle): attached again, the conversation keeps its variables.
        const again = await this.host.reattach?.(lost).catch(() => null);
        if (again) {
          this.attached = again;
          continue;
        }
        this.continuity.noteLoss(await this.host.lossReason(lost));
        await this.host.release(lost, "remove").catch(() => undefined);
      }
      this.opening ??= this.openAndRestore(wait).finally(() => {
        this.opening = null;
      });
      const opened = await untilAborted(this.opening, wait.signal);
      if (opened === "aborted") return null;
      if (opened) {
        this.attached = opened;
        return opened;
      }
      // Someone else's wait for this container was cancelled: wait again, as ourselves.
      if (wait.signal?.aborted) return null;
    }
  }

  /** A running container for the conversation; a new one gets the kept files and variables back first. */
  private async openAndRestore(wait: WaitOptions): Promise<AttachedContainer | null> {
    const attached = await this.host.open(this.key, wait);
    if (!attached) return null;
    try {
      await this.continuity.prepare(attached, () => wait.onStage?.({ stage: "restoring" }));
    } catch (error) {
      await this.host.release(attached, "remove").catch(() => undefined);
      throw error;
    }
    // A session closed while its container opened must not keep it.
    if (this.closed) {
      await this.host.release(attached, "remove").catch(() => undefined);
      return null;
    }
    this.attached = attached;
    return attached;
  }

  /** Copies what a run changed in /mnt/data out of the container, after the run has answered. */
  private keepChanges(result: ResultMessage, attached: AttachedContainer): void {
    const work = this.continuity.changesToKeep(result, attached.client);
    if (!work) return;
    void this.exclusive(work).catch((error: unknown) =>
      this.logger.warn({ err: error }, "could not keep the run's files"),
    );
  }

  private async executeNow(
    code: string,
    options: ExecuteOptions,
    attached: AttachedContainer,
    collector: OutputCollector,
    wait: WaitOptions,
  ): Promise<Execution> {
    this.touch();
    this.running = true;
    const started = this.now();
    try {
      const { notices, filesLost } = this.continuity.takeStartNotices();
      wait.onStage?.({ stage: "running" });
      const timeoutMs = options.timeoutMs ?? this.limits.executionTimeoutMs;
      const run = attached.client.run(
        {
          code,
          timeoutMs,
          graceMs: this.limits.interruptGraceMs,
          outputLimitBytes: this.limits.outputLimitBytes,
          onOutput: collector.add,
        },
        randomUUID(),
      );
      const onAbort = () => void attached.client.interrupt(run.id, "cancelled").catch(() => undefined);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const outer = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new OuterDeadline()),
          timeoutMs + this.limits.interruptGraceMs + OUTER_DEADLINE_MARGIN_MS,
        );
      });
      try {
        const result = await Promise.race([run.done, outer]);
        if (result.protocolViolations > 0) {
          this.logger.warn(
            { lines: result.protocolViolations, reason: result.reason },
            "sandbox kernel broke the protocol during a run; it was restarted",
          );
        }
        const execution = executionFromResult(result, collector, notices, filesLost, this.limits);
        this.keepChanges(result, attached);
        return execution;
      } catch (error) {
        return await this.fromFailure(error, attached, collector, started, notices);
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      }
    } finally {
      this.running = false;
      this.touch();
    }
  }

  private async fromFailure(
    error: unknown,
    attached: AttachedContainer,
    collector: OutputCollector,
    started: number,
    notices: string[],
  ): Promise<Execution> {
    const timedOut = error instanceof OuterDeadline;
    // Asked before the container is removed, while Docker still has its record.
    const oom = !timedOut && ((await this.host.wasOomKilled?.(attached).catch(() => false)) ?? false);
    const reason = timedOut
      ? "it stopped answering"
      : oom
        ? `it ran out of memory: the limit is ${this.limits.memoryMb} MB`
        : (error as Error).message;
    this.logger.warn(
      { err: error, container: attached.name },
      "sandbox container lost during a run; replacing it",
    );
    // Whatever state the container is in, it cannot be trusted with the next run.
    this.attached = null;
    await this.host.release(attached, "remove").catch(() => undefined);
    return executionWithoutResult(
      timedOut ? "timeout" : oom ? "oom" : "lost",
      collector,
      this.now() - started,
      [...notices, containerLostNotice(reason, "next-run", this.continuity.keepsFiles ? "kept" : null)],
      !this.continuity.keepsFiles,
    );
  }

  private cancelled(collector: OutputCollector, started: number, stage: RunStage["stage"]): Execution {
    // What a new container lost or got back is said by the run that gets to use it.
    return executionWithoutResult("cancelled", collector, this.now() - started, [
      cancelledBeforeRunNotice(stage),
    ]);
  }
}
