/**
 * Files a finished run wrote to /mnt/data survive the container: its removal (docker rm -f),
 * idle expiry and a restart of the bot; they come back byte-identical, removed files stay
 * removed, and reset and close forget them.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSandbox, type TestSandbox, testDocker } from "../helpers/sandbox.ts";

let keptFilesDir: string;
let clock = Date.now();
let sandbox: TestSandbox;

/** Writes files of known content and prints their SHA-256s, so a later run can compare. */
const WRITE_FILES = `
import hashlib, os
os.makedirs('/mnt/data/reports/2026', exist_ok=True)
open('/mnt/data/random.bin', 'wb').write(os.urandom(300_000))
open('/mnt/data/reports/2026/summary.txt', 'w').write('north 120\\nsouth 80\\n')
open('/mnt/data/scratch.txt', 'w').write('temporary')
for name in ('random.bin', 'reports/2026/summary.txt', 'scratch.txt'):
    print(name, hashlib.sha256(open('/mnt/data/' + name, 'rb').read()).hexdigest())
`;

const READ_FILES = `
import hashlib, os
for root, _dirs, names in sorted(os.walk('/mnt/data')):
    for name in sorted(names):
        full = os.path.join(root, name)
        print(os.path.relpath(full, '/mnt/data'), hashlib.sha256(open(full, 'rb').read()).hexdigest())
`;

const DAY_MS = 86_400_000;

function managerOptions() {
  return { keptFilesDir, keptFilesRetentionMs: 7 * DAY_MS, now: () => clock, idleTimeoutMs: 60_000 };
}

function lines(text: string): string[] {
  return text.trim().split("\n").sort();
}

async function removeContainer(name: string): Promise<void> {
  await testDocker().getContainer(name).remove({ force: true });
}

beforeAll(async () => {
  keptFilesDir = await mkdtemp(path.join(tmpdir(), "cib-kept-"));
  sandbox = await createTestSandbox({}, undefined, undefined, managerOptions());
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

describe("kept files", () => {
  it("come back byte-identical after the container is removed, and removed files stay removed", async () => {
    const session = await sandbox.manager.acquire("kept-rm");
    const written = await session.execute(WRITE_FILES);
    expect(written.status).toBe("ok");
    const removed = await session.execute("import os\nos.remove('/mnt/data/scratch.txt')\nx = 1");
    expect(removed.status).toBe("ok");
    await removeContainer(session.location);

    const after = await session.execute(READ_FILES);
    expect(lines(after.stdout)).toEqual(
      lines(written.stdout).filter((line) => !line.startsWith("scratch.txt")),
    );
    expect(after.notices.join(" ")).toMatch(
      /The sandbox stopped unexpectedly \(.*\) and a new one was started: variables and imports are gone; 2 file\(s\) in \/mnt\/data \(.*\) from the last finished run were restored\./,
    );
    expect(after.filesLost).toBe(false);
    const variables = await session.execute("print(globals().get('x'))");
    expect(variables.stdout).toBe("None\n");
  });

  it("survive idle expiry: the next message gets a new container with the files", async () => {
    const session = await sandbox.manager.acquire("kept-idle");
    const written = await session.execute(WRITE_FILES);
    const before = session.location;
    await session.execute("pass"); // the save of the files is queued behind the run; this waits for it
    clock += 61_000;
    expect(await sandbox.manager.reapIdle()).toBeGreaterThanOrEqual(1);
    expect((await sandbox.manager.list()).some((c) => c.name === before)).toBe(false);

    const resumed = await sandbox.manager.acquire("kept-idle");
    const after = await resumed.execute(READ_FILES);
    expect(lines(after.stdout)).toEqual(lines(written.stdout));
    // Suspended, not lost: the loop variable and the imports of WRITE_FILES come back too.
    expect(after.notices).toEqual([
      "This conversation's sandbox was suspended and is back: restored 1 variable(s) (`name`), 2 import(s) and 3 file(s).",
    ]);
  });

  it("keep the variables of a suspended session, and name what could not be kept", async () => {
    const session = await sandbox.manager.acquire("kept-variables");
    const made = await session.execute(
      [
        "import numpy as np, pandas as pd, sqlite3",
        "df = pd.DataFrame({'a': range(1000), 'b': ['x'] * 1000})",
        "arr = np.arange(10)",
        "def double(x):\n    return 2 * x",
        "class Point:\n    def __init__(self, x):\n        self.x = x",
        "p = Point(3)",
        "conn = sqlite3.connect(':memory:')",
      ].join("\n"),
    );
    expect(made.status).toBe("ok");
    clock += 61_000;
    await sandbox.manager.reapIdle();

    const resumed = await sandbox.manager.acquire("kept-variables");
    const run = await resumed.execute(
      "print(int(df.a.sum()), df.b.iloc[-1], int(arr.sum()), double(21), p.x, type(p).__name__, np.__name__, pd.__name__, 'conn' in globals())",
    );
    expect(run.stdout).toBe("499500 x 45 42 3 Point numpy pandas False\n");
    const notice = run.notices.join(" ");
    expect(notice).toMatch(
      /This conversation's sandbox was suspended and is back: restored 5 variable\(s\) \(`Point`, `arr`, `df`, `double`, `p`\), 3 import\(s\)/,
    );
    expect(notice).toContain("`conn` (a Connection) could not be kept: run the code that made them again.");
    expect(run.kernelRestarted).toBe(false);
  });

  it("survive a restart of the bot and the loss of its container", async () => {
    const first = await sandbox.manager.acquire("kept-restart");
    const written = await first.execute(WRITE_FILES);
    await first.execute("pass");
    await sandbox.manager.shutdown();
    await removeContainer(first.location);

    const restarted = await createTestSandbox({}, sandbox.scope, undefined, { keptFilesDir });
    try {
      const session = await restarted.manager.acquire("kept-restart");
      const after = await session.execute(READ_FILES);
      expect(lines(after.stdout)).toEqual(lines(written.stdout));
    } finally {
      await restarted.manager.shutdown();
    }
    sandbox = await createTestSandbox({}, sandbox.scope, undefined, managerOptions());
  });

  it("are forgotten by reset and by close", async () => {
    const session = await sandbox.manager.acquire("kept-reset");
    await session.execute(WRITE_FILES);
    await session.reset(true);
    await removeContainer(session.location);
    const after = await session.execute(READ_FILES);
    expect(after.stdout).toBe("");
    expect(after.notices.join(" ")).not.toContain("restored");

    await session.execute("open('/mnt/data/last.txt', 'w').write('x')");
    await session.execute("pass");
    const folders = await readdir(keptFilesDir);
    expect(folders.length).toBeGreaterThan(0);
    const before = new Set(folders);
    expect(await sandbox.manager.close("kept-reset")).toBe(true);
    const remaining = (await readdir(keptFilesDir)).filter((folder) => before.has(folder));
    expect(remaining.length).toBe(folders.length - 1);
    expect(remaining.every((folder) => existsSync(path.join(keptFilesDir, folder, "manifest.json")))).toBe(
      true,
    );
  });

  it("are removed after the retention time, and the next message says so", async () => {
    const session = await sandbox.manager.acquire("kept-old");
    await session.execute("open('/mnt/data/old.txt', 'w').write('old')");
    await session.execute("pass");
    clock += 61_000;
    await sandbox.manager.reapIdle();
    clock += 8 * DAY_MS;
    expect(await sandbox.manager.pruneKept()).toBeGreaterThanOrEqual(1);
    const again = await sandbox.manager.acquire("kept-old");
    const run = await again.execute("import os\nprint(os.listdir('/mnt/data'))");
    expect(run.stdout).toBe("[]\n");
    expect(run.notices).toEqual([
      "This conversation's files were removed after 7 day(s) without use (the retention time an admin sets with SESSION_RETENTION_DAYS), so its sandbox starts empty: variables, imports and files from before are gone.",
    ]);
    expect(run.filesLost).toBe(true);
  });
});
