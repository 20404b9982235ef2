/**
 * DockerHosts' decisions without Docker: where a new container goes, what an engine that cannot
 * be reached does to the rest, and what comes back with it. The real engines are in
 * tests/integration/docker-hosts.test.ts.
 */
import type Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import type {
  AttachedContainer,
  ContainerRuntime,
  SandboxContainerInfo,
} from "../../src/sandbox/container-runtime.ts";
import { type DockerEngine, DockerHosts, isEngineUnreachable } from "../../src/sandbox/docker-hosts.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";

const REFUSED = () => Object.assign(new Error("connect ECONNREFUSED /engine.sock"), { code: "ECONNREFUSED" });

/** One engine: its containers, whether it answers, and what was asked of it. */
class FakeEngine {
  answers = true;
  readonly containers: SandboxContainerInfo[] = [];
  readonly removed: string[] = [];
  adoptable: string | null = null;

  constructor(readonly name: string) {}

  private reachable(): void {
    if (!this.answers) throw REFUSED();
  }

  container(name: string, running = true): SandboxContainerInfo {
    return {
      id: `${this.name}-${name}`,
      name,
      host: this.name,
      sessionKey: null,
      pooled: false,
      owner: null,
      imageId: "sha256:image",
      createdAt: "2026-12-01T00:00:00.000Z",
      running,
      status: running ? "Up" : "Exited",
    };
  }

  attached(name: string, adopted: boolean): AttachedContainer {
    return {
      id: `${this.name}-${name}`,
      name,
      host: this.name,
      adopted,
      imageId: "sha256:image",
      client: {} as AttachedContainer["client"],
    };
  }

  asEngine(): DockerEngine {
    const runtime = {
      containerName: (key: string) => `cib-${key}`,
      list: async () => {
        this.reachable();
        return [...this.containers];
      },
      create: async (key: string) => {
        this.reachable();
        this.containers.push(this.container(`cib-${key}`));
        return this.attached(`cib-${key}`, false);
      },
      adoptExisting: async (key: string) => {
        this.reachable();
        return this.adoptable === key ? this.attached(`cib-${key}`, true) : null;
      },
      remove: async (id: string) => {
        this.reachable();
        this.removed.push(id);
      },
    };
    const docker = { ping: async () => this.reachable() };
    return {
      name: this.name,
      runtime: runtime as unknown as ContainerRuntime,
      docker: docker as unknown as Dockerode,
    };
  }
}

function hostsOf(engines: FakeEngine[]) {
  const down: Array<[string, string]> = [];
  const { logger, lines } = collectingLogger();
  const hosts = new DockerHosts(
    engines.map((engine) => engine.asEngine()),
    { logger, onDown: (host, reason) => down.push([host, reason]) },
  );
  return { hosts, down, lines };
}

describe("DockerHosts", () => {
  it("starts each new container on the engine with the fewest running", async () => {
    const [a, b] = [new FakeEngine("a"), new FakeEngine("b")];
    a.containers.push(a.container("cib-old-1"), a.container("cib-old-2"), a.container("cib-stopped", false));
    b.containers.push(b.container("cib-old-3"));
    const { hosts } = hostsOf([a, b]);
    const placed = [];
    for (const key of ["k1", "k2", "k3"]) placed.push((await hosts.create(key)).host);
    // b has 1 running to a's 2 (a stopped one does not count): b, then a tie goes to the first listed, then b.
    expect(placed).toEqual(["b", "a", "b"]);
  });

  it("marks an engine that cannot be reached down, tells once, and places on the others", async () => {
    const [a, b] = [new FakeEngine("a"), new FakeEngine("b")];
    const { hosts, down } = hostsOf([a, b]);
    a.answers = false;
    expect((await hosts.create("k1")).host).toBe("b");
    expect(await hosts.list()).toHaveLength(1);
    expect(down).toEqual([["a", "the Docker engine a stopped answering"]]);
    expect(hosts.hosts()).toEqual([
      { name: "a", up: false, reason: "the Docker engine a stopped answering" },
      { name: "b", up: true, reason: null },
    ]);
    expect(await hosts.engineLoss("a")).toBe("the Docker engine a stopped answering");
    expect(await hosts.engineLoss("b")).toBeNull();
  });

  it("finds a session's container on whichever engine has it", async () => {
    const [a, b] = [new FakeEngine("a"), new FakeEngine("b")];
    b.adoptable = "k1";
    const { hosts } = hostsOf([a, b]);
    expect(await hosts.adoptExisting("k1")).toMatchObject({ host: "b", adopted: true });
    expect(await hosts.adoptExisting("k2")).toBeNull();
  });

  it("fails a start with the engines' reasons when none answers", async () => {
    const [a, b] = [new FakeEngine("a"), new FakeEngine("b")];
    a.answers = false;
    b.answers = false;
    const { hosts } = hostsOf([a, b]);
    await hosts.probe();
    const failure = hosts.create("k1");
    await expect(failure).rejects.toThrow(
      "no Docker engine answers (the Docker engine a stopped answering; the Docker engine b stopped answering)",
    );
    await expect(hosts.create("k1").catch((error: unknown) => isEngineUnreachable(error))).resolves.toBe(
      true,
    );
  });

  it("takes an engine back once it answers, without the containers of sessions that moved meanwhile", async () => {
    const [a, b] = [new FakeEngine("a"), new FakeEngine("b")];
    const { hosts } = hostsOf([a, b]);
    b.containers.push(b.container("cib-moved"), b.container("cib-stayed"), b.container("cib-dead", false));
    b.answers = false;
    await hosts.probe();
    a.containers.push(a.container("cib-moved"));
    b.answers = true;
    await hosts.probe();
    expect(hosts.hosts().every((host) => host.up)).toBe(true);
    // Its twin runs on a; the stopped one is of no use; the one only b has is left alone.
    expect(b.removed.sort()).toEqual(["b-cib-dead", "b-cib-moved"]);
  });
});
