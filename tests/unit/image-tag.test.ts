import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { computeSandboxImageTag, sandboxImageRef } from "../../src/sandbox/image-tag.ts";

const made: string[] = [];

async function contextWith(files: Array<[string, string | Buffer]>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "cib-image-tag-"));
  made.push(dir);
  for (const [relativePath, content] of files) {
    const target = path.join(dir, ...relativePath.split("/"));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return dir;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("computeSandboxImageTag", () => {
  const files: Array<[string, string]> = [
    ["Dockerfile", "FROM scratch\n"],
    ["matplotlibrc", "backend: Agg\n"],
    ["kernel/kernel.py", "print('hi')\n"],
    ["kernel/.keep", ""],
  ];

  it("follows the documented definition", async () => {
    const dir = await contextWith(files);
    // Sorted by byte order: upper case before lower case, "kernel/.keep" before "kernel/kernel.py".
    const manifest = [
      `Dockerfile\n${sha256("FROM scratch\n")}\n`,
      `kernel/.keep\n${sha256("")}\n`,
      `kernel/kernel.py\n${sha256("print('hi')\n")}\n`,
      `matplotlibrc\n${sha256("backend: Agg\n")}\n`,
    ].join("");
    const tag = await computeSandboxImageTag(dir);
    expect(tag).toBe(sha256(manifest).slice(0, 12));
    expect(tag).toMatch(/^[0-9a-f]{12}$/);
  });

  it("is stable for the same content, whatever order the files were created in", async () => {
    const first = await contextWith(files);
    const second = await contextWith([...files].reverse());
    expect(await computeSandboxImageTag(first)).toBe(await computeSandboxImageTag(first));
    expect(await computeSandboxImageTag(second)).toBe(await computeSandboxImageTag(first));
  });

  it("ignores Python bytecode caches", async () => {
    const dir = await contextWith(files);
    const before = await computeSandboxImageTag(dir);
    await mkdir(path.join(dir, "kernel", "__pycache__"));
    await writeFile(path.join(dir, "kernel", "__pycache__", "kernel.cpython-311.pyc"), "bytecode");
    await writeFile(path.join(dir, "kernel", "stray.pyc"), "bytecode");
    expect(await computeSandboxImageTag(dir)).toBe(before);
  });

  it("changes when one byte changes", async () => {
    const dir = await contextWith(files);
    const before = await computeSandboxImageTag(dir);
    await writeFile(path.join(dir, "kernel", "kernel.py"), "print('hI')\n");
    expect(await computeSandboxImageTag(dir)).not.toBe(before);
  });

  it("changes when a file is renamed, added or emptied", async () => {
    const dir = await contextWith(files);
    const original = await computeSandboxImageTag(dir);

    await rename(path.join(dir, "kernel", "kernel.py"), path.join(dir, "kernel", "kernel2.py"));
    const renamed = await computeSandboxImageTag(dir);
    expect(renamed).not.toBe(original);

    await writeFile(path.join(dir, "kernel", "extra.py"), "");
    const added = await computeSandboxImageTag(dir);
    expect(added).not.toBe(renamed);
  });

  it("tells apart a file moved into a subdirectory", async () => {
    const flat = await contextWith([["a", "x"]]);
    const nested = await contextWith([["d/a", "x"]]);
    expect(await computeSandboxImageTag(flat)).not.toBe(await computeSandboxImageTag(nested));
  });
});

describe("sandboxImageRef", () => {
  it("joins repository and tag", () => {
    expect(sandboxImageRef("code-interpreter-bot-sandbox", "0123456789ab")).toBe(
      "code-interpreter-bot-sandbox:0123456789ab",
    );
  });
});
