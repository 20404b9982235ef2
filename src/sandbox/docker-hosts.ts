/**
 * Several Docker engines behind one SandboxRuntime (SANDBOX_DOCKER_HOSTS). A conversation's
 * container lives on one engine: it is found by name on whichever engine answers, and a new one
 * goes to the engine with the fewest of this scope's containers running. An engine that stops
 * answering is marked down (found by a ping every few seconds, or by a call that cannot reach it):
 * nothing new goes there, and the sessions on it are told, so their next run starts a container
 * on another engine and restores the kept files there. When it answers again it takes new work,
 * and the containers it still has of sessions that moved meanwhile are removed.
 */
import type Dockerode from "dockerode";
import type { Logger } from "../logger.ts";
import { UNREACHABLE_SOCKET_CODES } from "../socket-errors.ts";
import type { AttachedContainer, ContainerRuntime, SandboxContainerInfo } from "./container-runtime.ts";
import type { SandboxRuntime } from "./sandbox-runtime.ts";

export interface DockerEngine {
  /** As SANDBOX_DOCKER_HOSTS lists it. */
  name: string;
  docker: Dockerode;
  runtime: ContainerRuntime;
}

export interface DockerHostsOptions {
  logger: Logger;
  /** An engine stopped answering: the sessions on it have lost their containers. */
  onDown: (host: string, reason: string) => void;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
}

/** What a failure that means "this engine cannot be reached" looks like, from dockerode or explainDockerError. */
const UNREACHABLE_CODES = new Set([
  ...UNREACHABLE_SOCKET_CODES,
  "docker_unavailable",
  "ENOENT",
  "engine_timeout",
]);

export function isEngineUnreachable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 4; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

export class DockerHosts implements SandboxRuntime {
  /** Engines that do not answer, with why. */
  private readonly down = new Map<string, string>();
  private prober: NodeJS.Timeout | undefined;
  private probing: Promise<void> = Promise.resolve();

  constructor(
    private readonly engines: DockerEngine[],
    private readonly options: DockerHostsOptions,
  ) {
    if (engines.length === 0) throw new Error("DockerHosts needs at least one engine");
  }

  private get first(): ContainerRuntime {
    return (this.engines[0] as DockerEngine).runtime;
  }

  get image(): string {
    return this.first.image;
  }

  get poolPrefix(): string {
    return this.first.poolPrefix;
  }

  containerName(sessionKey: string): string {
    return this.first.containerName(sessionKey);
  }

  /** Each engine's name and whether it answers (for `status`, readiness and metrics). */
  hosts(): Array<{ name: string; up: boolean; reason: string | null }> {
    return this.engines.map(({ name }) => ({
      name,
      up: !this.down.has(name),
      reason: this.down.get(name) ?? null,
    }));
  }

  /** Every engine answers and knows the configured runtime; at least one must. */
  async checkEngine(): Promise<void> {
    const results = await Promise.allSettled(this.engines.map((engine) => engine.runtime.checkEngine()));
    results.forEach((result, index) => {
      const engine = this.engines[index] as DockerEngine;
      if (result.status === "rejected") this.markDown(engine.name, result.reason);
    });
    const failed = results.find((result) => result.status === "rejected");
    if (failed && results.every((result) => result.status === "rejected")) throw failed.reason;
  }

  async isCurrentImage(container: Pick<AttachedContainer, "imageId" | "host">): Promise<boolean> {
    return this.engine(container.host).runtime.isCurrentImage(container);
  }

  async refreshImage(): Promise<boolean> {
    const changed = await this.onEach((engine) => engine.runtime.refreshImage());
    return changed.some(Boolean);
  }

  async adoptExisting(sessionKey: string): Promise<AttachedContainer | null> {
    for (const engine of this.upEngines()) {
      const adopted = await this.guard(engine, () => engine.runtime.adoptExisting(sessionKey)).catch(
        (error: unknown) => {
          if (isEngineUnreachable(error)) return null;
          throw error;
        },
      );
      if (adopted) return adopted;
    }
    return null;
  }

  create(sessionKey: string): Promise<AttachedContainer> {
    return this.place((engine) => engine.runtime.create(sessionKey));
  }

  createPooled(): Promise<AttachedContainer> {
    return this.place((engine) => engine.runtime.createPooled());
  }

  claim(pooled: AttachedContainer, sessionKey: string): Promise<AttachedContainer> {
    const engine = this.engine(pooled.host);
    return this.guard(engine, () => engine.runtime.claim(pooled, sessionKey));
  }

  async wasOomKilled(id: string): Promise<boolean> {
    const found = await this.onEach((engine) => engine.runtime.wasOomKilled(id));
    return found.some(Boolean);
  }

  /** On every engine that answers: an id or name lives on one, and the others answer 404. */
  async remove(idOrName: string): Promise<void> {
    await this.onEach((engine) => engine.runtime.remove(idOrName));
  }

  /** Every engine builds the same content-addressed image: the first that answers will do. */
  async readImageFile(filePath: string, maxBytes: number): Promise<Buffer> {
    let firstError: unknown = null;
    for (const engine of this.upEngines()) {
      try {
        return await this.guard(engine, () => engine.runtime.readImageFile(filePath, maxBytes));
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError ?? this.noEngineError();
  }

  async list(): Promise<SandboxContainerInfo[]> {
    return (await this.onEach((engine) => engine.runtime.list())).flat();
  }

  async engineLoss(host: string): Promise<string | null> {
    const engine = this.engines.find((candidate) => candidate.name === host);
    if (!engine) return null;
    if (!this.down.has(host)) await this.ping(engine);
    return this.down.get(host) ?? null;
  }

  /** Pings every engine every few seconds: a silent one is marked down, one that answers again up. */
  startProbing(): void {
    this.prober ??= setInterval(() => {
      this.probing = this.probing.then(() => this.probe());
    }, this.options.probeIntervalMs ?? 5_000);
    this.prober.unref();
  }

  async stopProbing(): Promise<void> {
    clearInterval(this.prober);
    this.prober = undefined;
    await this.probing;
  }

  /** One round of pings; exposed so tests and start-up need not wait for the interval. */
  async probe(): Promise<void> {
    await Promise.all(this.engines.map((engine) => this.ping(engine)));
  }

  private async ping(engine: DockerEngine): Promise<void> {
    try {
      await withTimeout(engine.docker.ping(), this.options.probeTimeoutMs ?? 3_000);
    } catch (error) {
      this.markDown(engine.name, error);
      return;
    }
    if (this.down.has(engine.name)) await this.markUp(engine);
  }

  /** The engines that answer, fewest running containers of this scope first. */
  private async byLoad(): Promise<DockerEngine[]> {
    const loads = await Promise.all(
      this.upEngines().map(async (engine) => {
        const containers = await this.guard(engine, () => engine.runtime.list()).catch(() => null);
        return { engine, running: containers?.filter((c) => c.running).length ?? null };
      }),
    );
    return loads
      .filter((load): load is { engine: DockerEngine; running: number } => load.running !== null)
      .sort((a, b) => a.running - b.running)
      .map((load) => load.engine);
  }

  /** Starts a container on the least loaded engine; one that fails is passed over for the next. */
  private async place(
    start: (engine: DockerEngine) => Promise<AttachedContainer>,
  ): Promise<AttachedContainer> {
    let firstError: unknown = null;
    for (const engine of await this.byLoad()) {
      try {
        return await this.guard(engine, () => start(engine));
      } catch (error) {
        firstError ??= error;
        this.options.logger.warn(
          { err: error, host: engine.name },
          "could not start a sandbox on this Docker engine",
        );
      }
    }
    throw firstError ?? this.noEngineError();
  }

  /** Runs on every engine that answers; one that cannot be reached is marked down and skipped. */
  private async onEach<T>(work: (engine: DockerEngine) => Promise<T>): Promise<T[]> {
    const results = await Promise.allSettled(
      this.upEngines().map((engine) => this.guard(engine, () => work(engine))),
    );
    const failed = results.find(
      (result): result is PromiseRejectedResult =>
        result.status === "rejected" && !isEngineUnreachable(result.reason),
    );
    if (failed) throw failed.reason;
    return results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  }

  /** A call on one engine; a failure that means the engine is unreachable marks it down. */
  private async guard<T>(engine: DockerEngine, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isEngineUnreachable(error)) this.markDown(engine.name, error);
      throw error;
    }
  }

  private upEngines(): DockerEngine[] {
    return this.engines.filter((engine) => !this.down.has(engine.name));
  }

  private engine(name: string): DockerEngine {
    const engine = this.engines.find((candidate) => candidate.name === name);
    if (!engine) throw new Error(`no Docker engine named ${name} in SANDBOX_DOCKER_HOSTS`);
    return engine;
  }

  private markDown(name: string, error: unknown): void {
    if (this.down.has(name)) return;
    const reason = `the Docker engine ${name} stopped answering`;
    this.down.set(name, reason);
    this.options.logger.warn(
      { err: error, host: name },
      "Docker engine down: new sandboxes go to the others",
    );
    this.options.onDown(name, reason);
  }

  /**
   * Back: it takes new work again. Containers it kept of sessions that moved meanwhile (the same
   * name now runs on another engine) are stale twins, and go.
   */
  private async markUp(engine: DockerEngine): Promise<void> {
    this.down.delete(engine.name);
    this.options.logger.info({ host: engine.name }, "Docker engine answers again");
    try {
      const elsewhere = new Set(
        (
          await Promise.all(
            this.upEngines()
              .filter((other) => other !== engine)
              .map((other) => other.runtime.list()),
          )
        )
          .flat()
          .filter((container) => container.running)
          .map((container) => container.name),
      );
      for (const container of await engine.runtime.list()) {
        if (!container.pooled && (elsewhere.has(container.name) || !container.running)) {
          await engine.runtime.remove(container.id);
        }
      }
    } catch (error) {
      this.options.logger.warn(
        { err: error, host: engine.name },
        "could not tidy a Docker engine that came back",
      );
    }
  }

  private noEngineError(): Error {
    const reasons = [...this.down.values()].join("; ");
    return Object.assign(new Error(`no Docker engine answers (${reasons})`), { code: "docker_unavailable" });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: "engine_timeout" })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
