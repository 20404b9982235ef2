import { mkdtemp, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { KeptFiles, keptFolderName, type LiveFiles } from "../../src/sandbox/kept-files.ts";
import { pruneKeptFiles } from "../../src/sandbox/kept-sessions.ts";
import type { SandboxFile } from "../../src/sandbox/types.ts";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "cib-kept-unit-"));
});

/** A sandbox's /mnt/data in memory, as the kept copy reads it. */
function liveFolder(files: Record<string, string>): LiveFiles & { files: Record<string, string> } {
  return {
    files,
    read: async (name) => {
      const text = files[name];
      if (text === undefined) throw new Error(`no such file: ${name}`);
      return Buffer.from(text);
    },
    list: async () =>
      Object.entries(files).map(([name, text]) => ({
        path: name,
        size: text.length,
        mime: "text/plain",
        mtimeMs: 1,
      })),
  };
}

function changed(...names: string[]): SandboxFile[] {
  return names.map((name) => ({ path: name, size: 0, mime: "text/plain", mtimeMs: 1 }));
}

async function restored(kept: KeptFiles): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await kept.restore(async (name, data) => {
    out[name] = data.toString();
  });
  return out;
}

describe("KeptFiles", () => {
  it("keeps changes, forgets removals, and stores nothing under the names code chose", async () => {
    const kept = new KeptFiles(root, "bot:slack:T1:C1:1", silentLogger());
    const live = liveFolder({ "a.csv": "1,2", "../../etc/evil": "x" });
    await kept.record({ changed: changed("a.csv", "../../etc/evil"), removed: [], incomplete: false }, live);
    delete live.files["a.csv"];
    await kept.record({ changed: [], removed: ["a.csv"], incomplete: false }, live);
    expect(await restored(kept)).toEqual({ "../../etc/evil": "x" });
    const stored = await readdir(path.join(root, keptFolderName("bot:slack:T1:C1:1"), "blobs"));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("compares the whole folder when the run's lists were cut short", async () => {
    const kept = new KeptFiles(root, "k", silentLogger());
    const live = liveFolder({ "one.txt": "1", "two.txt": "2" });
    await kept.record({ changed: changed("one.txt", "two.txt"), removed: [], incomplete: false }, live);
    live.files["three.txt"] = "3";
    delete live.files["one.txt"];
    await kept.record({ changed: [], removed: [], incomplete: true }, live);
    expect(await restored(kept)).toEqual({ "two.txt": "2", "three.txt": "3" });
  });

  it("names files whose kept copy was damaged instead of restoring wrong bytes", async () => {
    const kept = new KeptFiles(root, "k", silentLogger());
    await kept.record(
      { changed: changed("a.txt"), removed: [], incomplete: false },
      liveFolder({ "a.txt": "good" }),
    );
    const blobs = path.join(root, keptFolderName("k"), "blobs");
    const [blob] = await readdir(blobs);
    await writeFile(path.join(blobs, blob ?? ""), "tampered");
    const summary = await kept.restore(async () => undefined);
    expect(summary).toEqual({ files: 0, bytes: 0, missing: ["a.txt"] });
  });

  it("ignores a manifest that is damaged or belongs to another session", async () => {
    const kept = new KeptFiles(root, "k", silentLogger());
    await kept.ensure();
    const manifest = path.join(root, keptFolderName("k"), "manifest.json");
    const text = await readFile(manifest, "utf8");
    await writeFile(manifest, text.replace('"key":"k"', '"key":"other"'));
    expect(await kept.exists()).toBe(false);
    await writeFile(manifest, "{not json");
    expect(await kept.restore(async () => undefined)).toBeNull();
  });
});

describe("pruneKeptFiles", () => {
  it("removes conversations unused past the retention time, except live ones, and leaves a marker read once", async () => {
    const old = new KeptFiles(root, "old", silentLogger());
    const live = new KeptFiles(root, "live", silentLogger());
    const recent = new KeptFiles(root, "recent", silentLogger());
    for (const kept of [old, live, recent]) await kept.ensure();
    const longAgo = new Date(Date.now() - 10 * 86_400_000);
    for (const key of ["old", "live"])
      await utimes(path.join(root, keptFolderName(key), "manifest.json"), longAgo, longAgo);
    const removed = await pruneKeptFiles(root, {
      retentionMs: 7 * 86_400_000,
      inUse: new Set([keptFolderName("live")]),
      now: Date.now(),
      logger: silentLogger(),
    });
    expect(removed).toBe(1);
    expect(await old.exists()).toBe(false);
    expect(await live.exists()).toBe(true);
    expect(await recent.exists()).toBe(true);
    expect(await old.takeExpiry()).toBe(7);
    expect(await old.takeExpiry()).toBeNull();
    expect(
      await pruneKeptFiles(root, {
        retentionMs: 0,
        inUse: new Set(),
        now: Date.now() + 1e12,
        logger: silentLogger(),
      }),
    ).toBe(0);
  });
});
