/**
 * Owns the sandbox sessions of one process: one per conversation key, created lazily,
 * adopted from an earlier process when its container still runs, closed when idle.
 * `ContainerRuntime.open` is the one place a session gets its container, so a warm pool
 * of pre-started containers can be slotted in there without changing sessions.
 */
import type Dockerode from "dockerode";
import { UserFacingError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { ContainerRuntime, type SandboxContainerInfo } from "./container-runtime.ts";
import { LABEL_APP, LABEL_SCOPE, LABEL_SESSION } from "./container-spec.ts";
import { KeptFiles, keptFolderName, listKeptSessions, pruneKeptFiles } from "./kept-files.ts";
import type { SandboxLimits } from "./limits.ts";
import type { Sandbox } from "./sandbox.ts";
import { ContainerSession } from "./session.ts";

export interface SandboxManagerOptions {
  docker: Dockerode;
  image: string;
  limits: SandboxLimits;
  logger: Logger;
  /** Containers are labelled with it; start-up clean-up touches only its own scope. */
  scope: string;
  /** Sessions unused for this long are closed; 0 keeps them until closed. */
  idleTimeoutMs?: number;
  /** Most sessions with a live container at once; the least recently used idle one makes room. */
  maxSessions?: number;
  /** Where conversations' files are kept between containers (src/sandbox/kept-files.ts); unset keeps nothing. */
  keptFilesDir?: string;
  /** Kept files of conversations unused this long are removed; 0 keeps them forever. */
  keptFilesRetentionMs?: number;
  now?: () => number;
}

export interface SessionDescription {
  key: string;
  /** running: a live container; stopped: a container that is not running; suspended: only kept state. */
  state: "running" | "stopped" | "suspended";
  container: string | null;
  /** Bytes kept on the host for it (files and variables). */
  keptBytes: number;
  lastUsed: string;
}

export class SandboxManager implements Sandbox {
  readonly runtime: ContainerRuntime;
  private readonly sessions = new Map<string, ContainerSession>();
  private reaper: NodeJS.Timeout | undefined;

  constructor(private readonly options: SandboxManagerOptions) {
    this.runtime = new ContainerRuntime({
      docker: options.docker,
      image: options.image,
      limits: options.limits,
      scope: options.scope,
      logger: options.logger,
    });
  }

  get limits(): SandboxLimits {
    return this.options.limits;
  }

  /** The session for a key; its container starts (or is adopted) on first use. */
  async acquire(key: string): Promise<ContainerSession> {
    const existing = this.sessions.get(key);
    if (existing && !existing.closed) return existing;
    await this.makeRoom();
    const logger = this.options.logger.child({ session: key });
    const session = new ContainerSession(
      key,
      this.runtime,
      this.options.limits,
      logger,
      this.options.now,
      this.keptFiles(key, logger),
    );
    this.sessions.set(key, session);
    return session;
  }

  /** Ends a conversation's sandbox: its container and its kept files. */
  async close(key: string): Promise<boolean> {
    const session = this.sessions.get(key);
    this.sessions.delete(key);
    if (session) {
      await session.close();
      return true;
    }
    const kept = this.keptFiles(key, this.options.logger);
    const hadFiles = (await kept?.exists()) ?? false;
    await kept?.clear();
    const name = this.runtime.containerName(key);
    const found = (await this.runtime.list()).find((c) => c.name === name);
    if (found) await this.runtime.remove(found.id);
    return found !== undefined || hadFiles;
  }

  private keptFiles(key: string, logger: Logger): KeptFiles | null {
    const root = this.options.keptFilesDir;
    // The scope is part of the name: the bot's and the CLI's sessions never share kept files.
    return root ? new KeptFiles(root, `${this.options.scope}:${key}`, logger) : null;
  }

  list(): Promise<SandboxContainerInfo[]> {
    return this.runtime.list();
  }

  /** Every session of this scope: with a container (running or stopped) or suspended (only kept state). */
  async describe(): Promise<SessionDescription[]> {
    const containers = await this.runtime.list();
    const kept = this.options.keptFilesDir
      ? await listKeptSessions(this.options.keptFilesDir, this.options.scope)
      : [];
    const keptByKey = new Map(kept.map((session) => [session.key, session]));
    const described: SessionDescription[] = containers.map((container) => ({
      key: container.sessionKey,
      state: container.running ? "running" : "stopped",
      container: container.name,
      keptBytes: keptByKey.get(container.sessionKey)?.bytes ?? 0,
      lastUsed: keptByKey.get(container.sessionKey)?.lastUsed.toISOString() ?? container.createdAt,
    }));
    const withContainer = new Set(containers.map((container) => container.sessionKey));
    for (const session of kept) {
      if (withContainer.has(session.key)) continue;
      described.push({
        key: session.key,
        state: "suspended",
        container: null,
        keptBytes: session.bytes,
        lastUsed: session.lastUsed.toISOString(),
      });
    }
    return described.sort((a, b) => a.key.localeCompare(b.key));
  }

  /**
   * Suspends a session now: its variables are pickled, its container removed, its files and
   * variables kept for the next use. False when it has no running container.
   */
  async suspend(key: string): Promise<boolean> {
    const name = this.runtime.containerName(key);
    const running = (await this.runtime.list()).some(
      (container) => container.name === name && container.running,
    );
    if (!running) return false;
    const session = await this.acquire(key);
    await session.open();
    this.sessions.delete(key);
    await session.suspend();
    return true;
  }

  /** Removes this scope's containers that are no longer running (left by a crash or a reboot). */
  async removeStopped(): Promise<number> {
    const stopped = (await this.runtime.list()).filter((c) => !c.running);
    for (const container of stopped) await this.runtime.remove(container.id);
    if (stopped.length > 0)
      this.options.logger.info({ count: stopped.length }, "removed stopped sandbox containers");
    return stopped.length;
  }

  /** Closes sessions idle past the idle timeout. Returns how many were closed. */
  async reapIdle(): Promise<number> {
    const limit = this.options.idleTimeoutMs ?? 0;
    if (limit <= 0) return 0;
    const now = (this.options.now ?? Date.now)();
    let closed = 0;
    for (const [key, session] of this.sessions) {
      if (!session.running && now - session.lastUsedAt > limit) {
        this.sessions.delete(key);
        // Idle is not finished: the files stay kept, and the next message restores them.
        await session
          .suspend()
          .catch((error: unknown) => this.options.logger.warn({ err: error }, "suspend failed"));
        closed += 1;
      }
    }
    return closed;
  }

  /**
   * Removes kept files past the retention time. Sessions with a container (of this process or
   * any other on the engine) are in use and kept, however long ago their files changed.
   */
  async pruneKept(): Promise<number> {
    const root = this.options.keptFilesDir;
    if (!root) return 0;
    const inUse = new Set<string>();
    for (const key of this.sessions.keys()) inUse.add(keptFolderName(`${this.options.scope}:${key}`));
    const containers = await this.options.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_APP}=1`] },
    });
    for (const container of containers) {
      const scope = container.Labels[LABEL_SCOPE];
      const session = container.Labels[LABEL_SESSION];
      if (scope && session) inUse.add(keptFolderName(`${scope}:${session}`));
    }
    return pruneKeptFiles(root, {
      retentionMs: this.options.keptFilesRetentionMs ?? 0,
      inUse,
      now: (this.options.now ?? Date.now)(),
      logger: this.options.logger,
    });
  }

  /** Suspends idle sessions every interval, and applies the retention time once an hour. */
  startReaper(intervalMs = 60_000): void {
    let ticks = 0;
    const pruneEvery = Math.max(1, Math.round(3_600_000 / intervalMs));
    this.reaper ??= setInterval(() => {
      void this.reapIdle();
      ticks += 1;
      if (ticks % pruneEvery === 0) {
        void this.pruneKept().catch((error: unknown) =>
          this.options.logger.warn({ err: error }, "retention failed"),
        );
      }
    }, intervalMs);
    this.reaper.unref();
  }

  /** Stops the reaper and lets go of every container, leaving them running for the next process. */
  async shutdown(): Promise<void> {
    clearInterval(this.reaper);
    this.reaper = undefined;
    await Promise.all([...this.sessions.values()].map((session) => session.detach({ keepVariables: true })));
    this.sessions.clear();
  }

  private async makeRoom(): Promise<void> {
    const max = this.options.maxSessions ?? 0;
    if (max <= 0 || this.sessions.size < max) return;
    const idle = [...this.sessions.entries()]
      .filter(([, session]) => !session.running)
      .sort(([, a], [, b]) => a.lastUsedAt - b.lastUsedAt);
    const oldest = idle[0];
    if (!oldest) {
      throw new UserFacingError(
        "sandbox_capacity",
        `All ${max} sandboxes are busy running code. Try again in a minute.`,
      );
    }
    this.sessions.delete(oldest[0]);
    this.options.logger.info(
      { session: oldest[0] },
      "suspending the least recently used sandbox to make room",
    );
    await oldest[1].suspend();
  }
}
