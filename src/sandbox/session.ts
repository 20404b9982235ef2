/**
 * One conversation's sandbox: a container with a live kernel, and what to do when it fails.
 * Executions run one at a time. Every wait has a deadline: the supervisor enforces the
 * run's time limit itself, and this side keeps an outer deadline in case the supervisor
 * cannot (then the whole container is replaced). What carries over to a new container, and
 * what the next run says about it, is SessionContinuity's.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { AttachedContainer, ContainerRuntime } from "./container-runtime.ts";
import type { KeptFiles } from "./kept-files.ts";
import type { SandboxLimits } from "./limits.ts";
import { containerLostNotice, idleRestartNotice, resultNotices } from "./notices.ts";
import { OutputCollector } from "./output-collector.ts";
import type { SandboxSession } from "./sandbox.ts";
import { SessionContinuity } from "./session-continuity.ts";
import type { ResultMessage } from "./supervisor-protocol.ts";
import type { ExecuteOptions, Execution, SandboxFile } from "./types.ts";

/** Time the bot allows past the supervisor's own deadline before it gives up on the container. */
const OUTER_DEADLINE_MARGIN_MS = 10_000;

class OuterDeadline extends Error {}

export class ContainerSession implements SandboxSession {
  private attached: AttachedContainer | null = null;
  private opening: Promise<AttachedContainer> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly continuity: SessionContinuity;
  lastUsedAt: number;
  running = false;
  closed = false;

  constructor(
    readonly key: string,
    private readonly runtime: ContainerRuntime,
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
    return this.runtime.containerName(this.key);
  }

  get location(): string {
    return this.containerName;
  }

  /** Starts (or adopts) the container now instead of at the first use. */
  async open(): Promise<{ adopted: boolean }> {
    const attached = await this.container();
    return { adopted: attached.adopted };
  }

  execute(code: string, options: ExecuteOptions = {}): Promise<Execution> {
    return this.exclusive(() => this.executeNow(code, options));
  }

  async putFile(path: string, data: Buffer): Promise<void> {
    this.touch();
    await (await this.container()).client.putFile(path, data);
  }

  async getFile(path: string, maxBytes = this.limits.maxFileBytes): Promise<Buffer> {
    this.touch();
    return (await this.container()).client.getFile(path, maxBytes);
  }

  async listFiles(): Promise<SandboxFile[]> {
    this.touch();
    return (await this.container()).client.listFiles();
  }

  /** A fresh Python process; with clearFiles, an empty /mnt/data too, and nothing kept. */
  reset(clearFiles: boolean): Promise<void> {
    return this.exclusive(async () => {
      await (await this.container()).client.restart(clearFiles, this.limits.startTimeoutMs);
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
    this.closed = true;
    // A save of the last run's files may still be queued; it needs the container.
    await this.queue;
    await this.keepVariables();
    await this.removeContainer();
    await this.continuity.touch();
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
    this.attached?.client.close();
    this.attached = null;
    await this.continuity.touch();
  }

  private async removeContainer(): Promise<void> {
    const attached = this.attached;
    this.attached = null;
    attached?.client.close();
    await this.runtime.remove(attached?.id ?? this.containerName);
  }

  private async keepVariables(): Promise<void> {
    if (this.attached) await this.continuity.keepVariables(this.attached.client);
  }

  private touch(): void {
    this.lastUsedAt = this.now();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async container(): Promise<AttachedContainer> {
    if (this.closed) throw new Error("this sandbox session was closed");
    if (this.attached && !this.attached.client.broken) return this.attached;
    if (this.attached?.client.broken) {
      this.continuity.noteLoss(this.attached.client.broken);
      const lost = this.attached;
      this.attached = null;
      await this.runtime.remove(lost.id).catch(() => undefined);
    }
    this.opening ??= this.openAndRestore().finally(() => {
      this.opening = null;
    });
    this.attached = await this.opening;
    return this.attached;
  }

  /** A running container for the conversation; a new one gets the kept files and variables back first. */
  private async openAndRestore(): Promise<AttachedContainer> {
    const attached = await this.runtime.open(this.key);
    await this.continuity.prepare(attached);
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

  private async executeNow(code: string, options: ExecuteOptions): Promise<Execution> {
    this.touch();
    this.running = true;
    const started = this.now();
    const collector = new OutputCollector(this.limits.outputLimitBytes, options.onOutput);
    try {
      if (options.signal?.aborted)
        return this.summary("cancelled", collector, started, ["The run was cancelled."]);
      const attached = await this.container();
      const { notices, filesLost } = this.continuity.takeStartNotices();
      // A cancel can arrive while the container starts, before anything listens for it.
      if (options.signal?.aborted)
        return this.summary(
          "cancelled",
          collector,
          started,
          [...notices, "The run was cancelled."],
          filesLost,
        );
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
        const execution = this.fromResult(result, collector, notices, filesLost);
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

  private fromResult(
    result: ResultMessage,
    collector: OutputCollector,
    notices: string[],
    filesLost: boolean,
  ): Execution {
    const displays = collector.displays;
    if (result.protocolViolations > 0) {
      this.logger.warn(
        { lines: result.protocolViolations, reason: result.reason },
        "sandbox kernel broke the protocol during a run; it was restarted",
      );
    }
    return {
      status: result.status,
      stdout: collector.stdout,
      stderr: collector.stderr,
      error: result.error,
      displays,
      images: collector.images,
      files: result.files,
      durationMs: result.durationMs,
      notices: [
        ...notices,
        ...result.restartedBefore.map(idleRestartNotice),
        ...resultNotices(result, this.limits),
        ...collector.notices(),
      ],
      kernelRestarted:
        result.restarted ||
        result.status === "oom" ||
        result.status === "crashed" ||
        result.restartedBefore.length > 0,
      filesLost,
    };
  }

  private async fromFailure(
    error: unknown,
    attached: AttachedContainer,
    collector: OutputCollector,
    started: number,
    notices: string[],
  ): Promise<Execution> {
    const timedOut = error instanceof OuterDeadline;
    const reason = timedOut ? "it stopped answering" : (error as Error).message;
    this.logger.warn(
      { err: error, container: attached.name },
      "sandbox container lost during a run; replacing it",
    );
    // Whatever state the container is in, it cannot be trusted with the next run.
    this.attached = null;
    attached.client.close();
    await this.runtime.remove(attached.id).catch(() => undefined);
    return this.summary(
      timedOut ? "timeout" : "crashed",
      collector,
      started,
      [...notices, containerLostNotice(reason, "next-run", this.continuity.keepsFiles ? "kept" : null)],
      !this.continuity.keepsFiles,
    );
  }

  private summary(
    status: Execution["status"],
    collector: OutputCollector,
    started: number,
    notices: string[],
    filesLost = false,
  ): Execution {
    return {
      status,
      stdout: collector.stdout,
      stderr: collector.stderr,
      error: null,
      displays: collector.displays,
      images: collector.images,
      files: [],
      durationMs: this.now() - started,
      notices: [...notices, ...collector.notices()],
      kernelRestarted: filesLost,
      filesLost,
    };
  }
}
