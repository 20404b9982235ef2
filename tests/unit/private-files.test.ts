/**
 * DATA_DIR and everything the bot writes in it are its user's alone: directories 0700, files
 * (the databases with their -wal and -shm, kept sandbox files, the web chat's files) 0600,
 * whatever the umask. Checked on the files a started bot actually made.
 */
import { chmod, mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebFileStore } from "../../adapters/web/web-file-store.ts";
import { WebTranscript } from "../../adapters/web/web-transcript.ts";
import { silentLogger } from "../../src/logger.ts";
import { KeptFiles } from "../../src/sandbox/kept-files.ts";
import { pruneKeptFiles } from "../../src/sandbox/kept-sessions.ts";
import { prepareDataDir } from "../../src/store/private-files.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";

let root: string;
let umask: number;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "cib-modes-"));
  // The loosest common umask: the modes must not rely on the admin's being 077.
  umask = process.umask(0o000);
});

afterEach(() => {
  process.umask(umask);
});

async function modeOf(file: string): Promise<string> {
  return ((await stat(file)).mode & 0o777).toString(8);
}

/** Every path under `dir` with its kind and mode, as `ls -l` shows them: "d700", "-600". */
async function modesUnder(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = `${entry.isDirectory() ? "d" : "-"}${await modeOf(full)}`;
  }
  return out;
}

describe("DATA_DIR", () => {
  it("is created 0700, parents included", async () => {
    const dataDir = path.join(root, "a", "data");
    prepareDataDir(dataDir, silentLogger());
    expect(await modeOf(dataDir)).toBe("700");
    expect(await modeOf(path.join(root, "a"))).toBe("700");
  });

  it("keeps an existing directory's mode and warns when others can read it", async () => {
    const dataDir = path.join(root, "shared");
    prepareDataDir(dataDir, silentLogger());
    await chmod(dataDir, 0o755);
    const { logger, lines } = collectingLogger("warn");
    prepareDataDir(dataDir, logger);
    expect(await modeOf(dataDir)).toBe("755");
    expect(lines.map((line) => [line.msg, line.mode])).toEqual([
      [expect.stringContaining("DATA_DIR can be read by other users"), "755"],
    ]);

    await chmod(dataDir, 0o700);
    const quiet = collectingLogger("warn");
    prepareDataDir(dataDir, quiet.logger);
    expect(quiet.lines).toEqual([]);
  });
});

describe("files under DATA_DIR", () => {
  it("makes the bot's database, its -wal and -shm 0600, and tightens an older one", async () => {
    const file = path.join(root, "data", "bot.sqlite");
    const store = openSqliteStore({ path: file, logger: silentLogger() });
    await store.appendMessages("slack:C1:1", [{ role: "user", content: "hello" }]);
    // While the store is open, SQLite has its WAL and shared-memory files beside the database.
    expect(await modesUnder(path.dirname(file))).toEqual({
      "bot.sqlite": "-600",
      "bot.sqlite-wal": "-600",
      "bot.sqlite-shm": "-600",
    });
    expect(await modeOf(path.dirname(file))).toBe("700");
    await store.close();

    await chmod(file, 0o644);
    const reopened = openSqliteStore({ path: file, logger: silentLogger() });
    expect(await modeOf(file)).toBe("600");
    await reopened.close();
  });

  it("makes the web chat's transcript and stored files private", async () => {
    const dataDir = path.join(root, "data");
    prepareDataDir(dataDir, silentLogger());
    const transcript = new WebTranscript(path.join(dataDir, "web.sqlite"));
    transcript.createConversation("hello");
    const files = new WebFileStore(path.join(dataDir, "web-files"));
    await files.saveBuffer(Buffer.from("a user's upload"));
    await files.saveStream(Readable.from([Buffer.from("a streamed upload")]), 1024, () => false);
    const modes = await modesUnder(dataDir);
    transcript.close();
    expect(Object.keys(modes)).toEqual(expect.arrayContaining(["web.sqlite", "web.sqlite-wal", "web-files"]));
    expect(Object.entries(modes).filter(([, mode]) => mode !== "d700" && mode !== "-600")).toEqual([]);
  });

  it("keeps sandbox files, saved variables and expiry markers private", async () => {
    const sessions = path.join(root, "data", "sessions");
    const kept = new KeptFiles(sessions, "slack:C1:1", silentLogger());
    await kept.ensure();
    const live = { read: async () => Buffer.from("1,2,3\n"), list: async () => [] };
    await kept.record(
      {
        changed: [{ path: "sales.csv", size: 6, mime: "text/csv", mtimeMs: 1 }],
        removed: [],
        incomplete: false,
      },
      live,
    );
    await kept.saveState(Buffer.from("pickled"), []);
    const other = new KeptFiles(sessions, "slack:C1:2", silentLogger());
    await other.ensure();
    await pruneKeptFiles(sessions, {
      retentionMs: 1,
      inUse: new Set(),
      now: Date.now() + 60_000,
      logger: silentLogger(),
    });
    const modes = await modesUnder(sessions);
    expect(Object.values(modes).length).toBeGreaterThan(0);
    expect(await modeOf(sessions)).toBe("700");
    expect(Object.entries(modes).filter(([, mode]) => mode !== "d700" && mode !== "-600")).toEqual([]);
  });
});
