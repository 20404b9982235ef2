import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export const DEFAULT_SANDBOX_REPOSITORY = "code-interpreter-bot-sandbox";
const IGNORED_NAMES = new Set(["__pycache__", ".pytest_cache"]);

/**
 * A tag that changes exactly when the build context does, so a bot never runs an image built
 * from other kernel code than its own, and an unchanged context is never rebuilt.
 *
 * Defined as: the relative POSIX paths of every regular file under `contextDir`, sorted by byte
 * order; for each, `${relativePath}\n${sha256hex(bytes)}\n`; the sha256 of that text; its first
 * 12 hex characters. Symbolic links and other special files are not followed. Python bytecode
 * caches are skipped (and kept out of the image by .dockerignore): running the kernel's files
 * locally must not change the tag.
 */
export async function computeSandboxImageTag(contextDir: string): Promise<string> {
  const files = await listRegularFiles(contextDir);
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const manifest = createHash("sha256");
  for (const relativePath of files) {
    const bytes = await readFile(path.join(contextDir, ...relativePath.split("/")));
    const digest = createHash("sha256").update(bytes).digest("hex");
    manifest.update(`${relativePath}\n${digest}\n`);
  }
  return manifest.digest("hex").slice(0, 12);
}

export function sandboxImageRef(repository: string, tag: string): string {
  return `${repository}:${tag}`;
}

async function listRegularFiles(root: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(prefix === "" ? root : path.join(root, ...prefix.split("/")), {
    withFileTypes: true,
  });
  const files: string[] = [];
  for (const entry of entries) {
    const relativePath = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (IGNORED_NAMES.has(entry.name) || entry.name.endsWith(".pyc")) continue;
    if (entry.isDirectory()) files.push(...(await listRegularFiles(root, relativePath)));
    else if (entry.isFile()) files.push(relativePath);
  }
  return files;
}
