/**
 * A second Docker engine on this machine, for tests of sandboxes spread over several engines: a
 * `dockerd` in a network namespace of its own, with its own socket, data root, exec root (and so
 * its own containerd), and the sandbox image copied into it (docker save | docker load). It can
 * be stopped and started again, as an engine that fails and comes back. The bench uses it too,
 * outside vitest, so it waits with a plain loop.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { promisify } from "node:util";
import Dockerode from "dockerode";
import { pollUntil } from "./poll-until.ts";

const run = promisify(execFile);

export interface ExtraEngine {
  /** As SANDBOX_DOCKER_HOSTS would list it. */
  name: string;
  docker: Dockerode;
  /** Copies an image of the main engine into this one. */
  loadImage(image: string): Promise<void>;
  /** SIGTERM, as a service manager stops it: its containers stop with it. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its namespace and files. */
  destroy(): Promise<void>;
}

export async function startExtraEngine(id: string): Promise<ExtraEngine> {
  // Short paths: a unix socket's path is limited to about 100 bytes.
  const root = `/tmp/cib-engine-${id}`;
  const socket = `${root}/docker.sock`;
  const netns = `cib-engine-${id}`;
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await run("ip", ["netns", "add", netns]).catch(() => undefined);
  let daemon: ChildProcess | null = null;
  let log = "";
  const docker = new Dockerode({ socketPath: socket });

  const start = async () => {
    // nsenter joins only the network namespace: `ip netns exec` also remounts /sys, which hides
    // the cgroup mounts dockerd needs.
    daemon = spawn(
      "nsenter",
      [
        `--net=/run/netns/${netns}`,
        "dockerd",
        `--host=unix://${socket}`,
        `--data-root=${root}/data`,
        `--exec-root=${root}/exec`,
        `--pidfile=${root}/docker.pid`,
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
      ],
      { detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    daemon.stdout?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    daemon.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    });
    await pollUntil(
      `the extra Docker engine ${id} to answer`,
      () =>
        docker.ping().then(
          () => true,
          () => false,
        ),
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${log}`);
    });
  };

  const stop = async () => {
    const pid = Number((await readFile(`${root}/docker.pid`, "utf8").catch(() => "")).trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    process.kill(pid, "SIGTERM");
    await pollUntil(
      `the extra Docker engine ${id} to stop`,
      () =>
        docker.ping().then(
          () => false,
          () => true,
        ),
      120_000,
    );
    if (daemon)
      await new Promise((resolve) =>
        daemon?.exitCode !== null ? resolve(null) : daemon.once("exit", resolve),
      );
  };

  try {
    await start();
  } catch (error) {
    // Nothing of a failed start is left for the next run to trip over.
    (daemon as ChildProcess | null)?.kill("SIGTERM");
    await run("ip", ["netns", "delete", netns]).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    name: `unix://${socket}`,
    docker,
    async loadImage(image) {
      const save = spawn("docker", ["save", image], { stdio: ["ignore", "pipe", "inherit"] });
      const load = spawn("docker", ["-H", `unix://${socket}`, "load", "-q"], {
        stdio: ["pipe", "ignore", "inherit"],
      });
      save.stdout.pipe(load.stdin);
      const [saved, loaded] = await Promise.all([
        new Promise<number | null>((resolve) => save.once("close", resolve)),
        new Promise<number | null>((resolve) => load.once("close", resolve)),
      ]);
      if (saved !== 0 || loaded !== 0)
        throw new Error(`could not copy ${image} to engine ${id} (${saved}, ${loaded})`);
    },
    stop,
    start,
    async destroy() {
      await stop().catch(() => undefined);
      await run("ip", ["netns", "delete", netns]).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}
