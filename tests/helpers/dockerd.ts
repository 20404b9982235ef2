/**
 * Stops and starts the Docker engine of this machine, for the fault tests: what an upgrade of
 * Docker or `systemctl restart docker` does to a running bot. Only an engine that runs here as
 * a plain process (CI, and machines set up by scripts/ensure-docker.sh) can be restarted this
 * way; anywhere else the helpers throw and say so, rather than pretend.
 */
import { execFile, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { testDocker } from "./sandbox.ts";
import { waitUntil } from "./wait-until.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");

/** The main engine's: its pidfile first, since other tests may run extra dockerds (extra-engine.ts). */
async function dockerdPid(): Promise<number | null> {
  const fromFile = Number((await readFile("/var/run/docker.pid", "utf8").catch(() => "")).trim());
  if (Number.isInteger(fromFile) && fromFile > 0 && (await alive(fromFile))) return fromFile;
  try {
    const { stdout } = await run("pidof", ["dockerd"]);
    const pid = Number(stdout.trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function alive(pid: number): Promise<boolean> {
  try {
    // A zombie has exited: it only waits for its parent to read its status.
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Stops dockerd as its service manager would (SIGTERM: it stops the containers first) and waits until it is gone. */
export async function stopDockerd(timeoutMs = 120_000): Promise<void> {
  const pid = await dockerdPid();
  if (pid === null) {
    throw new Error(
      "no dockerd process runs on this machine, so the tests cannot restart the Docker engine; " +
        "run them where scripts/ensure-docker.sh started it (as CI does)",
    );
  }
  process.kill(pid, "SIGTERM");
  await waitUntil(`dockerd (pid ${pid}) to stop`, async () => !(await alive(pid)), timeoutMs);
}

/**
 * Starts dockerd again with the project's own script, in a session of its own so that the
 * engine outlives the test process and its process group, and waits until it answers.
 */
export async function startDockerd(): Promise<void> {
  const script = spawn("bash", [path.join(ROOT, "scripts/ensure-docker.sh")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  script.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  script.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => script.once("close", resolve));
  if (code !== 0) throw new Error(`scripts/ensure-docker.sh failed (${code}):\n${output}`);
  await testDocker().ping();
}
