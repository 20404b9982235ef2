import { mkdtemp, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { safeFileName, uniqueName } from "../../src/files/safe-name.ts";
import { FolderWriter } from "../../src/files/save-to-folder.ts";

describe("safeFileName", () => {
  it.each([
    ["../../etc/passwd", "passwd"],
    ["/abs/path/report.csv", "report.csv"],
    ["..\\..\\win.ini", "win.ini"],
    [".bashrc", "bashrc"],
    ["..", "file"],
    ["", "file"],
    ["a\u0000b\nc.txt", "abc.txt"],
    ["données été.xlsx", "données été.xlsx"],
    ["rm -rf $(whoami);.sh", "rm -rf _(whoami)_.sh"],
  ])("%j becomes %j", (raw, expected) => {
    expect(safeFileName(raw)).toBe(expected);
  });

  it("keeps the extension when shortening", () => {
    const name = safeFileName(`${"x".repeat(300)}.parquet`);
    expect(name.length).toBeLessThanOrEqual(120);
    expect(name.endsWith(".parquet")).toBe(true);
  });

  it("resolves collisions with a counter", () => {
    const taken = new Set(["a.csv", "a-2.csv"]);
    expect(uniqueName("a.csv", (n) => taken.has(n))).toBe("a-3.csv");
  });
});

describe("FolderWriter", () => {
  it("never overwrites and never follows a planted link", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "cib-save-"));
    const outside = await mkdtemp(path.join(tmpdir(), "cib-outside-"));
    await symlink(path.join(outside, "victim.txt"), path.join(dir, "plot.png"));
    await writeFile(path.join(dir, "data.csv"), "original");
    const writer = new FolderWriter(dir);
    const a = await writer.save("../../plot.png", Buffer.from("png"));
    const b = await writer.save("data.csv", Buffer.from("new"));
    expect(path.basename(a)).toBe("plot-2.png");
    expect(path.basename(b)).toBe("data-2.csv");
    expect(await readFile(path.join(dir, "data.csv"), "utf8")).toBe("original");
    expect(await readdir(outside)).toEqual([]);
  });
});
