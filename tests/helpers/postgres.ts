/**
 * A throwaway PostgreSQL server for the tests: Debian's own binaries, a cluster in a temporary
 * folder, listening on 127.0.0.1 at a free port, removed when stopped. PostgreSQL refuses to
 * run as root, so under root (CI) the server runs as the `postgres` user Debian's package makes.
 * `.ci/run` installs the package; elsewhere the helper says what to install instead of failing
 * with a bare ENOENT.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./free-port.ts";

const run = promisify(execFile);
const DEBIAN_POSTGRES = "/usr/lib/postgresql";

export interface TestPostgres {
  /** A URL for the server's `postgres` database, as its superuser. */
  readonly url: string;
  /** Creates an empty database and returns its URL: one per test keeps them independent. */
  createDatabase(): Promise<string>;
  /** The server's log, for a failing test's message. */
  log(): Promise<string>;
  /** Stops the server as an admin's restart would (fast: connections are closed), keeping its data. */
  shutDown(): Promise<void>;
  /** Starts it again on the same port, and waits until it takes connections. */
  startAgain(): Promise<void>;
  /** Stops it for good and removes its files. */
  stop(): Promise<void>;
}

interface ServerUser {
  uid: number;
  gid: number;
  name: string;
}

let databases = 0;

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = await postgresBinaries();
  const user = await serverUser();
  const dir = await mkdtemp(path.join(tmpdir(), "cib-postgres-"));
  if (user) await chown(dir, user.uid, user.gid);
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "server.log");
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const superuser = user?.name ?? (await run("id", ["-un"])).stdout.trim();
  await run(
    path.join(bin, "initdb"),
    ["-D", dataDir, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
    asUser,
  );
  const port = await freePort();
  // fsync off: a test database that a crash loses is simply made again, and the tests run faster.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const pgCtl = (...args: string[]) => run(path.join(bin, "pg_ctl"), ["-D", dataDir, ...args], asUser);
  const start = () => pgCtl("-l", logFile, "-o", options, "-w", "start");
  await start();
  const url = `postgres://${superuser}@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase() {
      databases += 1;
      const name = `test_${process.pid}_${databases}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${superuser}@127.0.0.1:${port}/${name}`;
    },
    async log() {
      return readFile(logFile, "utf8").catch(() => "");
    },
    async shutDown() {
      await pgCtl("-m", "fast", "-w", "stop");
    },
    async startAgain() {
      await start();
    },
    async stop() {
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The newest PostgreSQL Debian installed, as /usr/lib/postgresql/<major>/bin. */
async function postgresBinaries(): Promise<string> {
  const majors = existsSync(DEBIAN_POSTGRES)
    ? (await readdir(DEBIAN_POSTGRES)).filter((name) => /^\d+$/.test(name)).map(Number)
    : [];
  const newest = Math.max(...majors);
  const bin = path.join(DEBIAN_POSTGRES, String(newest), "bin");
  if (majors.length === 0 || !existsSync(path.join(bin, "initdb"))) {
    throw new Error(
      "PostgreSQL's server is not installed, and the PostgreSQL tests need one: " +
        "`apt-get install -y postgresql` (Debian's package; .ci/run installs it)",
    );
  }
  return bin;
}

/** The user the server runs as: ourselves, or `postgres` when we are root (the server refuses root). */
async function serverUser(): Promise<ServerUser | null> {
  if (process.getuid?.() !== 0) return null;
  try {
    const [uid, gid] = await Promise.all([
      run("id", ["-u", "postgres"]).then(({ stdout }) => Number(stdout.trim())),
      run("id", ["-g", "postgres"]).then(({ stdout }) => Number(stdout.trim())),
    ]);
    return { uid, gid, name: "postgres" };
  } catch {
    throw new Error(
      "the tests run as root, and PostgreSQL refuses to: they start it as the `postgres` user, " +
        "which Debian's postgresql package creates, and there is none here",
    );
  }
}
