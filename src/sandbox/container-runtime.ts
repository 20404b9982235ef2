/**
 * Creates, finds, attaches to and removes sandbox containers. It knows Docker; it knows
 * nothing of executions. A container is named after its session key, so a second bot
 * process (or the CLI) finds the same container instead of creating a twin.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import type Dockerode from "dockerode";
import type { Logger } from "../logger.ts";
import {
  containerSpec,
  LABEL_APP,
  LABEL_CREATED,
  LABEL_SCOPE,
  LABEL_SESSION,
  LABEL_UID,
} from "./container-spec.ts";
import { explainDockerError } from "./docker-errors.ts";
import type { SandboxLimits } from "./limits.ts";
import { pickSandboxUid, type UidRange, uidRangeFor } from "./sandbox-uid.ts";
import { SupervisorClient } from "./supervisor-client.ts";

export interface AttachedContainer {
  id: string;
  name: string;
  client: SupervisorClient;
  /** True when the container (and its kernel state) existed before this call. */
  adopted: boolean;
}

export interface SandboxContainerInfo {
  id: string;
  name: string;
  sessionKey: string;
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
  now?: () => Date;
}

export class ContainerRuntime {
  /** Uids picked for containers still being created, which a listing cannot show yet. */
  private readonly reservedUids = new Set<number>();
  private uidRange: Promise<UidRange> | undefined;

  constructor(private readonly options: ContainerRuntimeOptions) {}

  containerName(sessionKey: string): string {
    const digest = createHash("sha256").update(sessionKey).digest("hex").slice(0, 20);
    return `cib-${this.options.scope.replace(/[^a-zA-Z0-9_.-]/g, "-")}-${digest}`;
  }

  /** Attaches to the session's running container if there is one, or starts a new one. */
  async open(sessionKey: string): Promise<AttachedContainer> {
    const name = this.containerName(sessionKey);
    const existing = await this.inspect(name);
    // A container from an older image may speak an older protocol: replace it rather than adopt it.
    if (existing?.State?.Running && existing.Config.Image === this.options.image) {
      try {
        return await this.adopt(existing.Id, name);
      } catch (error) {
        this.options.logger.warn({ err: error, name }, "could not adopt sandbox container; replacing it");
      }
    }
    if (existing) {
      this.options.logger.info(
        { container: name, image: existing.Config.Image },
        "replacing sandbox container",
      );
      await this.remove(existing.Id);
    }
    return this.create(sessionKey, name);
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
    return containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? "").replace(/^\//, ""),
      sessionKey: c.Labels[LABEL_SESSION] ?? "",
      createdAt: c.Labels[LABEL_CREATED] ?? "",
      running: c.State === "running",
      status: c.Status,
    }));
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

  private async create(sessionKey: string, name: string): Promise<AttachedContainer> {
    this.uidRange ??= this.options.docker.info().then(
      (info: { SecurityOptions?: string[] }) => uidRangeFor(info.SecurityOptions ?? []),
      (error: unknown) => {
        this.uidRange = undefined;
        throw explainDockerError(error);
      },
    );
    const range = await this.uidRange;
    const sandboxUid = pickSandboxUid(new Set([...(await this.uidsInUse()), ...this.reservedUids]), range);
    this.reservedUids.add(sandboxUid);
    try {
      return await this.createWithUid(sessionKey, name, sandboxUid);
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
    sessionKey: string,
    name: string,
    sandboxUid: number,
  ): Promise<AttachedContainer> {
    const { docker, image, limits, scope, logger } = this.options;
    const spec = containerSpec({
      image,
      name,
      scope,
      sessionKey,
      limits,
      sandboxUid,
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
      return { id: container.id, name, client, adopted: false };
    } catch (error) {
      await this.remove(container.id).catch(() => undefined);
      throw explainDockerError(error, image);
    }
  }

  private async adopt(id: string, name: string): Promise<AttachedContainer> {
    const client = await this.attachClient(this.options.docker.getContainer(id));
    // A run started by an earlier bot process may still be going; wait for it to end.
    const deadline =
      Date.now() + this.options.limits.executionTimeoutMs + this.options.limits.interruptGraceMs;
    for (;;) {
      const pong = await client.ping(5_000);
      if (pong.state === "idle" || pong.state === "broken") break;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.options.logger.info({ container: name }, "adopted running sandbox container");
    return { id, name, client, adopted: true };
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
