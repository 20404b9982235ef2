/**
 * Owns the sandbox sessions of one process: one per conversation key, created lazily,
 * adopted from an earlier process when its container still runs, suspended when idle (files
 * and variables kept, container removed) and resumed on the next use. Where containers come
 * from, and how many may live and run at once, is SandboxAdmission's.
 */
import type Dockerode from "dockerode";
import type { Logger } from "../logger.ts";
import { ContainerRuntime, type SandboxContainerInfo } from "./container-runtime.ts";
import { DockerHosts } from "./docker-hosts.ts";
import { ImageLibraries } from "./image-libraries.ts";
import { KeptFiles, keptFolderName } from "./kept-files.ts";
import { listKeptSessions, pruneKeptFiles } from "./kept-sessions.ts";
import type { SandboxLimits } from "./limits.ts";
import type { Sandbox } from "./sandbox.ts";
import { SandboxAdmission } from "./sandbox-admission.ts";
import type { SandboxLibraries } from "./sandbox-libraries.ts";
import { isSessionContainer, type SandboxRuntime } from "./sandbox-runtime.ts";
import { ContainerSession } from "./session.ts";
import type { SandboxManagerOptions } from "./session-manager-options.ts";

export type { SandboxManagerOptions };

function oneEngine(options: SandboxManagerOptions): Dockerode {
  const docker = options.docker ?? options.hosts?.[0]?.docker;
  if (!docker) throw new Error("SandboxManager needs a Docker engine or a sandbox runtime");
  return docker;
}

/** A container this young may be one another process is still starting, not a left-over. */
const STARTING_GRACE_MS = 60_000;

export interface SessionDescription {
  key: string;
  /** running: a live container; stopped: a container that is not running; suspended: only kept state. */
  state: "running" | "stopped" | "suspended";
  container: string | null;
  /** The Docker engine its container is on; null when suspended. */
  host: string | null;
  /** Bytes kept on the host for it (files and variables). */
  keptBytes: number;
  lastUsed: string;
}

export class SandboxManager implements Sandbox {
  readonly runtime: SandboxRuntime;
  /** Set with several engines: which answer, and the pings that find out. */
  readonly hosts: DockerHosts | null;
  readonly admission: SandboxAdmission;
  /** Every conversation this process has served: with a container, or suspended. */
  private readonly sessions = new Map<string, ContainerSession>();
  private reaper: NodeJS.Timeout | undefined;
  private readonly imageLibraries: ImageLibraries;

  constructor(private readonly options: SandboxManagerOptions) {
    const engineRuntime = (docker: Dockerode, host?: string) =>
      new ContainerRuntime({
        docker,
        image: options.image,
        limits: options.limits,
        scope: options.scope,
        logger: options.logger,
        ...(options.runtime ? { runtime: options.runtime } : {}),
        ...(options.replicas ? { owner: options.replicas.id } : {}),
        ...(host ? { host } : {}),
      });
    const hosts = options.hosts ?? [];
    this.hosts =
      hosts.length > 1
        ? new DockerHosts(
            hosts.map(({ name, docker }) => ({ name, docker, runtime: engineRuntime(docker, name) })),
            { logger: options.logger, onDown: (host, reason) => this.abandonOn(host, reason) },
          )
        : null;
    this.runtime = options.sandboxRuntime ?? this.hosts ?? engineRuntime(oneEngine(options), hosts[0]?.name);
    this.imageLibraries = new ImageLibraries(this.runtime, options.logger);
    this.admission = new SandboxAdmission({
      runtime: this.runtime,
      logger: options.logger,
      maxLive: options.maxLive ?? 0,
      maxRunning: options.maxRunning ?? 0,
      poolSize: options.poolSize ?? 0,
      warmUpTimeoutMs: options.limits.startTimeoutMs,
      suspendIdle: () => this.suspendLeastRecentlyUsed(),
      ...(options.replicas ? { liveOwners: options.replicas.alive } : {}),
    });
  }

  /** An engine stopped answering: each session on it is told, and moves with its next run. */
  private abandonOn(host: string, reason: string): void {
    for (const session of this.sessions.values()) session.abandonIfOn(host, reason);
  }

  /** Starts filling the warm pool (a no-op with pool size 0); removes pooled containers a crash left. */
  startPool(): Promise<void> {
    return this.admission.pool.start();
  }

  get limits(): SandboxLimits {
    return this.options.limits;
  }

  libraries(): Promise<SandboxLibraries | null> {
    return this.imageLibraries.read();
  }

  /** The session for a key; its container starts (or is adopted) on first use. */
  async acquire(key: string): Promise<ContainerSession> {
    const existing = this.sessions.get(key);
    if (existing && !existing.closed) return existing;
    const logger = this.options.logger.child({ session: key });
    const session = new ContainerSession(
      key,
      this.admission,
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
    const removed = await this.admission.removeUnattached(key);
    return removed > 0 || hadFiles;
  }

  /**
   * Detaches from the conversation's container and leaves it running: between replicas, whoever
   * has the conversation's next turn adopts it, as a restarted process does. This process holds
   * nothing of it afterwards, so an adopter's channel is the container's only one.
   */
  async handOver(key: string): Promise<void> {
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    await session.detach();
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
    const kept = this.options.keptFilesDir
      ? await listKeptSessions(this.options.keptFilesDir, this.options.scope)
      : [];
    const keptByKey = new Map(kept.map((session) => [session.key, session]));
    const containers = await this.sessionContainers(kept.map((session) => session.key));
    const described: SessionDescription[] = containers.map(({ key, container }) => ({
      key,
      state: container.running ? "running" : "stopped",
      container: container.name,
      host: container.host,
      keptBytes: keptByKey.get(key)?.bytes ?? 0,
      lastUsed: keptByKey.get(key)?.lastUsed.toISOString() ?? container.createdAt,
    }));
    const withContainer = new Set(containers.map(({ key }) => key));
    for (const session of kept) {
      if (withContainer.has(session.key)) continue;
      described.push({
        key: session.key,
        state: "suspended",
        container: null,
        host: null,
        keptBytes: session.bytes,
        lastUsed: session.lastUsed.toISOString(),
      });
    }
    return described.sort((a, b) => a.key.localeCompare(b.key));
  }

  /**
   * The scope's session containers with their keys. A container that came from the pool has no
   * session label; its name is matched against the keys this process and the kept state know.
   */
  private async sessionContainers(
    knownKeys: string[],
  ): Promise<Array<{ key: string; container: SandboxContainerInfo }>> {
    const keyByName = new Map(
      [...knownKeys, ...this.sessions.keys()].map((key) => [this.runtime.containerName(key), key]),
    );
    return (await this.runtime.list())
      .filter((container) => !container.pooled)
      .map((container) => ({
        key: container.sessionKey ?? keyByName.get(container.name) ?? container.name,
        container,
      }));
  }

  /**
   * Suspends a session now: its variables are pickled, its container removed, its files and
   * variables kept for the next use. False when it has no running container.
   */
  async suspend(key: string): Promise<boolean> {
    const running = (await this.runtime.list()).some(
      (container) => this.isOf(key, container) && container.running,
    );
    if (!running) return false;
    const session = await this.acquire(key);
    await session.open();
    await session.suspend();
    return true;
  }

  /**
   * Removes this scope's containers that are no longer running (left by a crash or a reboot),
   * except very young ones: another replica on the engine may be starting them.
   */
  async removeStopped(): Promise<number> {
    const now = (this.options.now ?? Date.now)();
    const stopped = (await this.runtime.list()).filter(
      (c) => !c.running && !c.pooled && !(now - Date.parse(c.createdAt) < STARTING_GRACE_MS),
    );
    for (const container of stopped) await this.runtime.remove(container.id);
    if (stopped.length > 0)
      this.options.logger.info({ count: stopped.length }, "removed stopped sandbox containers");
    return stopped.length;
  }

  /**
   * Suspends sessions idle past the idle timeout: idle is not finished, so their files and
   * variables are kept and the next message restores them. Returns how many were suspended.
   */
  async reapIdle(): Promise<number> {
    const limit = this.options.idleTimeoutMs ?? 0;
    if (limit <= 0) return 0;
    const now = (this.options.now ?? Date.now)();
    let suspended = 0;
    for (const [key, session] of this.sessions) {
      if (now - session.lastUsedAt <= limit) continue;
      if (session.idleWithContainer) {
        await session
          .suspend()
          .catch((error: unknown) => this.options.logger.warn({ err: error }, "suspend failed"));
        suspended += 1;
      } else if (!session.hasContainer) {
        // Nothing of it is in memory that the kept state does not have; a later message makes it anew.
        this.sessions.delete(key);
      }
    }
    return suspended;
  }

  /**
   * With replicas, which hand each conversation over after every request: the conversations
   * with a running container on this engine that no replica has used for longer than the idle
   * timeout (the kept files, which they share, say when each was last used). The caller
   * suspends them one by one under their conversation's turn.
   */
  async idleAcrossReplicas(): Promise<string[]> {
    const limit = this.options.idleTimeoutMs ?? 0;
    const root = this.options.keptFilesDir;
    if (limit <= 0 || !root) return [];
    const now = (this.options.now ?? Date.now)();
    const running = (await this.runtime.list()).filter((c) => c.running && !c.pooled);
    return (await listKeptSessions(root, this.options.scope))
      .filter(
        ({ key, lastUsed }) =>
          now - lastUsed.getTime() > limit && running.some((container) => this.isOf(key, container)),
      )
      .sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime())
      .map(({ key }) => key);
  }

  private isOf(key: string, container: SandboxContainerInfo): boolean {
    return isSessionContainer(this.runtime, key, container);
  }

  /**
   * Whether nobody has used the conversation for longer than the idle timeout, asked again at
   * the moment of suspending it: a request may have used it since it was listed as idle.
   */
  async stillIdle(key: string): Promise<boolean> {
    const limit = this.options.idleTimeoutMs ?? 0;
    const lastUsed = await this.keptFiles(key, this.options.logger)?.lastUsed();
    if (limit <= 0 || !lastUsed) return false;
    return (this.options.now ?? Date.now)() - lastUsed.getTime() > limit;
  }

  /** Makes room for a waiting request: suspends the least recently used idle session. */
  private async suspendLeastRecentlyUsed(): Promise<boolean> {
    const idle = [...this.sessions.values()]
      .filter((session) => session.idleWithContainer)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    const oldest = idle[0];
    if (!oldest) return false;
    this.options.logger.info(
      { session: oldest.key },
      "suspending the least recently used sandbox to make room",
    );
    await oldest.suspend();
    return true;
  }

  /**
   * Removes kept files past the retention time. Sessions with a container (of this process or
   * any other on the engine) are in use and kept, however long ago their files changed.
   */
  async pruneKept(): Promise<number> {
    const root = this.options.keptFilesDir;
    if (!root) return 0;
    const inUse = new Set<string>();
    for (const [key, session] of this.sessions) {
      if (session.hasContainer) inUse.add(keptFolderName(`${this.options.scope}:${key}`));
    }
    const kept = await listKeptSessions(root, this.options.scope);
    for (const { key } of await this.sessionContainers(kept.map((session) => session.key))) {
      inUse.add(keptFolderName(`${this.options.scope}:${key}`));
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
      void this.admission.pool
        .refresh()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, "could not check the sandbox image"),
        );
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
    await this.hosts?.stopProbing();
    await Promise.all([
      this.admission.pool.close(),
      ...[...this.sessions.values()].map((session) => session.detach({ keepVariables: true })),
    ]);
    this.sessions.clear();
  }
}
