/**
 * A container runtime without Docker, for unit tests of the warm pool and admission. Every start
 * (`create`, `createPooled`) waits until the test lets it succeed or fail, so starts can be
 * watched and finished one at a time; everything else answers at once. It tracks which
 * containers exist, so a test can check the host never held more than the live limit allows.
 */
import { EventEmitter } from "node:events";
import { type Logger, pino } from "pino";
import type { AttachedContainer, SandboxContainerInfo } from "../../../src/sandbox/container-runtime.ts";
import type { SandboxRuntime } from "../../../src/sandbox/sandbox-runtime.ts";
import type { SupervisorClient } from "../../../src/sandbox/supervisor-client.ts";
import { Arrivals } from "../../helpers/arrivals.ts";

export { Arrivals };

/** A promise with its resolve and reject, for answers a test gives when it chooses. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve: (value: T) => void = () => undefined;
  reject: (error: Error) => void = () => undefined;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * Lets the callbacks of every promise settled so far run (the fakes do no I/O, so nothing else
 * is pending). Only for asserting that something did NOT happen; to see that something did,
 * await its event.
 */
export function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The parts of SupervisorClient the pool and admission use. */
export class FakeSupervisorClient extends EventEmitter<{ broken: [reason: string] }> {
  broken: string | null = null;
  /** Timeouts warmUp was called with. */
  readonly warmUps: number[] = [];
  /** When set, warmUp waits for it (reject it for a failed warm-up); else warmUp succeeds at once. */
  warmUpGate: Deferred<void> | null = null;
  readonly warmUpCalls = new Arrivals<number>();

  warmUp(timeoutMs: number): Promise<void> {
    this.warmUps.push(timeoutMs);
    this.warmUpCalls.push(timeoutMs);
    return this.warmUpGate?.promise ?? Promise.resolve();
  }

  /** Like the real client, closing breaks the channel (and says so once). */
  close(): void {
    this.breakChannel("the session was closed");
  }

  get closed(): boolean {
    return this.broken === "the session was closed";
  }

  breakChannel(reason: string): void {
    if (this.broken) return;
    this.broken = reason;
    this.emit("broken", reason);
  }
}

/** A container start the test finishes: `succeed()` or `fail()`. */
export class PendingStart {
  readonly client = new FakeSupervisorClient();
  private readonly answer = new Deferred<AttachedContainer>();
  private done = false;

  constructor(
    private readonly runtime: FakeContainerRuntime,
    readonly id: string,
    readonly name: string,
    /** A session's start, or a start for the pool. */
    readonly kind: "session" | "pooled",
    readonly key: string | null,
    /** The image it starts from: the runtime's image when the start began, as with Docker. */
    readonly imageId: string,
  ) {}

  get promise(): Promise<AttachedContainer> {
    return this.answer.promise;
  }

  get finished(): boolean {
    return this.done;
  }

  succeed(): AttachedContainer {
    const container = attached(this.id, this.name, this.client, this.imageId, false);
    this.done = true;
    this.answer.resolve(container);
    return container;
  }

  fail(error: Error): void {
    this.done = true;
    // A start that failed leaves nothing running.
    this.runtime.alive.delete(this.id);
    this.answer.reject(error);
  }
}

/**
 * The one place fakes become real types: the pool and admission call only the methods faked
 * here, so the casts hold for what they touch.
 */
function attached(
  id: string,
  name: string,
  client: FakeSupervisorClient,
  imageId: string,
  adopted: boolean,
): AttachedContainer {
  return { id, name, host: "fake", client: client as unknown as SupervisorClient, adopted, imageId };
}

export class FakeContainerRuntime {
  /** The sandbox image's id now; change it, and the next refreshImage() says it changed. */
  image = "sha256:image-1";
  private seenImage = this.image;
  /** Every start in the order asked for. */
  readonly started: PendingStart[] = [];
  readonly starts = new Arrivals<PendingStart>();
  /** Ids passed to remove(), in order. */
  readonly removed: string[] = [];
  readonly removals = new Arrivals<string>();
  readonly claims: Array<{ id: string; key: string }> = [];
  /** What list() reports (containers a crashed process left, say). */
  leftovers: SandboxContainerInfo[] = [];
  /** When set, the next claim() fails with it. */
  claimFailure: Error | null = null;
  /** Containers that exist now (starting ones included) and the most that ever did at once. */
  readonly alive = new Set<string>();
  peakAlive = 0;
  private readonly adoptable = new Map<string, AttachedContainer>();
  private readonly clients = new Map<string, FakeSupervisorClient>();
  private nextId = 1;

  /** This fake as the runtime the pool and admission take. */
  asRuntime(): SandboxRuntime {
    return this as unknown as SandboxRuntime;
  }

  containerName(key: string): string {
    return `cib-test-${key}`;
  }

  imageId(): Promise<string> {
    return Promise.resolve(this.image);
  }

  isCurrentImage(container: Pick<AttachedContainer, "imageId">): Promise<boolean> {
    return Promise.resolve(container.imageId === this.image);
  }

  refreshImage(): Promise<boolean> {
    const changed = this.image !== this.seenImage;
    this.seenImage = this.image;
    return Promise.resolve(changed);
  }

  /** Makes a running container for `key` that the next adoptExisting(key) finds. */
  leaveRunning(key: string): AttachedContainer {
    const id = this.newId();
    const client = new FakeSupervisorClient();
    this.clients.set(id, client);
    this.born(id);
    const container = attached(id, this.containerName(key), client, this.image, true);
    this.adoptable.set(key, container);
    return container;
  }

  adoptExisting(key: string): Promise<AttachedContainer | null> {
    const container = this.adoptable.get(key) ?? null;
    this.adoptable.delete(key);
    return Promise.resolve(container);
  }

  create(key: string): Promise<AttachedContainer> {
    return this.begin("session", key, this.containerName(key));
  }

  createPooled(): Promise<AttachedContainer> {
    return this.begin("pooled", null, `cib-test-pool-${this.nextId}`);
  }

  claim(pooled: AttachedContainer, key: string): Promise<AttachedContainer> {
    const failure = this.claimFailure;
    this.claimFailure = null;
    if (failure) return Promise.reject(failure);
    this.claims.push({ id: pooled.id, key });
    return Promise.resolve({ ...pooled, name: this.containerName(key) });
  }

  remove(id: string): Promise<void> {
    this.removed.push(id);
    this.alive.delete(id);
    this.removals.push(id);
    return Promise.resolve();
  }

  list(): Promise<SandboxContainerInfo[]> {
    return Promise.resolve(this.leftovers);
  }

  /** The fake client behind a container this runtime handed out. */
  clientOf(container: AttachedContainer): FakeSupervisorClient {
    const client = this.clients.get(container.id);
    if (!client) throw new Error(`no container ${container.id} came from this runtime`);
    return client;
  }

  /** Starts still waiting for the test to finish them. */
  get unfinishedStarts(): PendingStart[] {
    return this.started.filter((start) => !start.finished);
  }

  private begin(kind: "session" | "pooled", key: string | null, name: string): Promise<AttachedContainer> {
    const start = new PendingStart(this, this.newId(), name, kind, key, this.image);
    this.clients.set(start.id, start.client);
    // It counts against the host from the moment it is asked for.
    this.born(start.id);
    this.started.push(start);
    this.starts.push(start);
    return start.promise;
  }

  private born(id: string): void {
    this.alive.add(id);
    this.peakAlive = Math.max(this.peakAlive, this.alive.size);
  }

  private newId(): string {
    const id = `container-${this.nextId}`;
    this.nextId += 1;
    return id;
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger that keeps its lines for assertions. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** pino's number for the warn level. */
export const WARN = 40;
