/**
 * Creates, finds, attaches to and removes sandbox containers. It knows Docker; it knows
 * nothing of executions. A container is named after its session key, so a second bot
 * process (or the CLI) finds the same container instead of creating a twin. A pooled
 * container starts under a pool name and is renamed when a session claims it: Docker cannot
 * change labels, so its session label stays empty and only the name says whose it is.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import type Dockerode from "dockerode";
import type { Logger } from "../logger.ts";
import {
  containerSpec,
  LABEL_APP,
  LABEL_CREATED,
  LABEL_OWNER,
  LABEL_SCOPE,
  LABEL_SESSION,
  LABEL_UID,
} from "./container-spec.ts";
import { explainDockerError } from "./docker-errors.ts";
import { readImageFile } from "./image-file.ts";
import type { SandboxLimits } from "./limits.ts";
import { checkRuntimeKnown, type OciRuntime } from "./oci-runtime.ts";
import type { SandboxRuntime } from "./sandbox-runtime.ts";
import { pickSandboxUid, type UidRange, uidRangeFor } from "./sandbox-uid.ts";
import { SupervisorClient } from "./supervisor-client.ts";
import { settleAdopted } from "./supervisor-settling.ts";

export interface AttachedContainer {
  id: string;
  name: string;
  /** The Docker engine it runs on, as SANDBOX_DOCKER_HOSTS names it (or DOCKER_HOST). */
  host: string;
  client: SupervisorClient;
  /** True when the container (and its kernel state) existed before this call. */
  adopted: boolean;
  /** The id of the image it runs, to tell an outdated container. */
  imageId: string;
}

export interface SandboxContainerInfo {
  id: string;
  name: string;
  /** The Docker engine it runs on. */
  host: string;
  /** Null for a container that came from the pool: its name (containerName) says whose it is. */
  sessionKey: string | null;
  /** Waiting in the pool, not yet any session's. */
  pooled: boolean;
  /** For a pooled container: the bot process it waits for; null when unlabelled (older releases). */
  owner: string | null;
  imageId: string;
  createdAt: string;
  running: boolean;
  status: string;
}

export interface ContainerRuntimeOptions {
  docker: Dockerode;
  image: string;
  limits: SandboxLimits;
  /** Separates the bot's sessions from the CLI's, so neither cleans up the other's. */
  scope: string;
  logger: Logger;
  /** runc when absent. */
  runtime?: OciRuntime;
  /** This bot process's id, on the containers it pools: replicas sharing a scope tell theirs apart. */
  owner?: string;
  /** How logs, `sessions` and metrics name this engine; "docker" when absent. */
  host?: string;
  now?: () => Date;
}

export class ContainerRuntime implements SandboxRuntime {
  /** Uids picked for containers still being created, which a listing cannot show yet. */
  private readonly reservedUids = new Set<number>();
  private uidRange: Promise<UidRange> | undefined;
  private currentImageId: Promise<string> | undefined;

  constructor(private readonly options: ContainerRuntimeOptions) {}

  /** The sandbox image's reference, as configured or built. */
  get image(): string {
    return this.options.image;
  }

  get host(): string {
    return this.options.host ?? "docker";
  }

  readImageFile(filePath: string, maxBytes: number): Promise<Buffer> {
    return readImageFile(this.options.docker, this.options.image, filePath, maxBytes);
  }

  /** Whether the container runs the image the tag names now (a rebuilt image makes it outdated). */
  async isCurrentImage(container: Pick<AttachedContainer, "imageId">): Promise<boolean> {
    return container.imageId === (await this.imageId());
  }

  containerName(sessionKey: string): string {
    const digest = createHash("sha256").update(sessionKey).digest("hex").slice(0, 20);
    return `${this.namePrefix}-${digest}`;
  }

  /** Every pooled container's name starts with this; nothing a session key hashes to does. */
  get poolPrefix(): string {
    return `${this.namePrefix}-pool-`;
  }

  private get namePrefix(): string {
    return `cib-${this.options.scope.replace(/[^a-zA-Z0-9_.-]/g, "-")}`;
  }

  /** The id of the sandbox image now; `refreshImage` looks again (the tag may have been rebuilt). */
  imageId(): Promise<string> {
    this.currentImageId ??= this.options.docker
      .getImage(this.options.image)
      .inspect()
      .then(
        (info: { Id: string }) => info.Id,
        (error: unknown) => {
          this.currentImageId = undefined;
          throw explainDockerError(error, this.options.image);
        },
      );
    return this.currentImageId;
  }

  /** Looks up the image's id again; true when it changed (the tag now names a rebuilt image). */
  async refreshImage(): Promise<boolean> {
    const before = this.currentImageId ? await this.currentImageId.catch(() => undefined) : undefined;
    this.currentImageId = undefined;
    return before !== undefined && (await this.imageId()) !== before;
  }

  /** Attaches to the session's running container if there is one, or starts a new one. */
  async open(sessionKey: string): Promise<AttachedContainer> {
    return (await this.adoptExisting(sessionKey)) ?? this.create(sessionKey);
  }

  /**
   * Attaches to the session's container when one runs on the current image. One that is
   * stopped, or from an outdated image (it may speak an older protocol), is removed: null.
   */
  async adoptExisting(sessionKey: string): Promise<AttachedContainer | null> {
    const name = this.containerName(sessionKey);
    const existing = await this.inspect(name);
    if (!existing) return null;
    const imageId = await this.imageId();
    if (existing.State?.Running && existing.Image === imageId) {
      try {
        return await this.adopt(existing.Id, name, imageId);
      } catch (error) {
        this.options.logger.warn({ err: error, name }, "could not adopt sandbox container; replacing it");
      }
    }
    this.options.logger.info(
      { container: name, image: existing.Config.Image },
      "replacing sandbox container",
    );
    await this.remove(existing.Id);
    return null;
  }

  /** A new container for the session. */
  create(sessionKey: string): Promise<AttachedContainer> {
    return this.createNamed(this.containerName(sessionKey), sessionKey);
  }

  /** A new container for the pool, belonging to no session until one claims it. */
  createPooled(): Promise<AttachedContainer> {
    return this.createNamed(`${this.poolPrefix}${randomBytes(6).toString("hex")}`, null);
  }

  /** Gives a pooled container to a session: renamed after it, so a later process finds it by name. */
  async claim(pooled: AttachedContainer, sessionKey: string): Promise<AttachedContainer> {
    const name = this.containerName(sessionKey);
    try {
      await this.options.docker.getContainer(pooled.id).rename({ name });
    } catch (error) {
      throw explainDockerError(error);
    }
    return { ...pooled, name };
  }

  /** Whether Docker's record of a stopped container says the OOM killer ended it; false when unsure. */
  async wasOomKilled(id: string): Promise<boolean> {
    try {
      const info = await this.options.docker.getContainer(id).inspect();
      return info.State?.OOMKilled === true;
    } catch {
      return false;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.options.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw explainDockerError(error);
    }
  }

  async list(): Promise<SandboxContainerInfo[]> {
    const containers = await this.listLabelled([`${LABEL_APP}=1`, `${LABEL_SCOPE}=${this.options.scope}`]);
    return containers.map((c) => {
      const name = (c.Names[0] ?? "").replace(/^\//, "");
      return {
        id: c.Id,
        name,
        host: this.host,
        sessionKey: c.Labels[LABEL_SESSION] || null,
        pooled: name.startsWith(this.poolPrefix),
        owner: c.Labels[LABEL_OWNER] || null,
        imageId: c.ImageID,
        createdAt: c.Labels[LABEL_CREATED] ?? "",
        running: c.State === "running",
        status: c.Status,
      };
    });
  }

  private async listLabelled(labels: string[]): Promise<Dockerode.ContainerInfo[]> {
    try {
      return await this.options.docker.listContainers({ all: true, filters: { label: labels } });
    } catch (error) {
      throw explainDockerError(error);
    }
  }

  private async inspect(name: string): Promise<Dockerode.ContainerInspectInfo | null> {
    try {
      return await this.options.docker.getContainer(name).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw explainDockerError(error);
    }
  }

  /**
   * Reads what the engine offers once: the uids a container may use, and whether it knows the
   * configured runtime. Throws a FatalError saying what to run when it does not.
   */
  checkEngine(): Promise<UidRange> {
    this.uidRange ??= this.options.docker.info().then(
      (info: { SecurityOptions?: string[]; Runtimes?: Record<string, unknown> }) => {
        checkRuntimeKnown(this.options.runtime ?? "runc", info.Runtimes);
        return uidRangeFor(info.SecurityOptions ?? []);
      },
      (error: unknown) => {
        this.uidRange = undefined;
        throw explainDockerError(error);
      },
    );
    return this.uidRange;
  }

  private async createNamed(name: string, sessionKey: string | null): Promise<AttachedContainer> {
    const range = await this.checkEngine();
    const sandboxUid = pickSandboxUid(new Set([...(await this.uidsInUse()), ...this.reservedUids]), range);
    this.reservedUids.add(sandboxUid);
    try {
      return await this.createWithUid(name, sessionKey, sandboxUid);
    } finally {
      this.reservedUids.delete(sandboxUid);
    }
  }

  /** Every sandbox uid on this Docker engine, whatever scope (bot, CLI, tests) made it. */
  private async uidsInUse(): Promise<Set<number>> {
    const containers = await this.listLabelled([`${LABEL_APP}=1`]);
    return new Set(containers.map((c) => Number(c.Labels[LABEL_UID])).filter(Number.isInteger));
  }

  private async createWithUid(
    name: string,
    sessionKey: string | null,
    sandboxUid: number,
  ): Promise<AttachedContainer> {
    const { docker, image, limits, scope, logger } = this.options;
    const imageId = await this.imageId();
    const spec = containerSpec({
      // The id, not the tag: a tag rebuilt while this starts must not mix two images in one session.
      image: imageId,
      name,
      scope,
      sessionKey: sessionKey ?? "",
      limits,
      sandboxUid,
      runtime: this.options.runtime ?? "runc",
      ...(sessionKey === null && this.options.owner ? { owner: this.options.owner } : {}),
      createdAt: (this.options.now ?? (() => new Date()))(),
    });
    let container: Dockerode.Container;
    try {
      container = await docker.createContainer(spec);
    } catch (error) {
      throw explainDockerError(error, image);
    }
    try {
      // Attach before start, so the supervisor's `ready` line cannot be missed.
      const client = await this.attachClient(container);
      await container.start();
      await client.waitForReady(limits.startTimeoutMs);
      logger.info({ container: name, sessionKey, sandboxUid }, "sandbox container started");
      return { id: container.id, name, host: this.host, client, adopted: false, imageId };
    } catch (error) {
      await this.remove(container.id).catch(() => undefined);
      throw explainDockerError(error, image);
    }
  }

  private async adopt(id: string, name: string, imageId: string): Promise<AttachedContainer> {
    const client = await this.attachClient(this.options.docker.getContainer(id));
    await settleAdopted(client, this.options.limits, this.options.logger.child({ container: name }));
    this.options.logger.info({ container: name }, "adopted running sandbox container");
    return { id, name, host: this.host, client, adopted: true, imageId };
  }

  private async attachClient(container: Dockerode.Container): Promise<SupervisorClient> {
    const stream = (await container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    })) as Socket;
    stream.setNoDelay?.(true);
    return new SupervisorClient(stream, this.options.logger.child({ container: container.id.slice(0, 12) }));
  }
}
