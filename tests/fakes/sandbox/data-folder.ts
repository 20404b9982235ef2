/**
 * One session's /mnt/data in memory, with the supervisor's rules (cib_files.py): names stay
 * inside the folder, only files are transferred, reads are size-capped, listings are sorted,
 * and a run reports the files it created or changed. Failures throw the same
 * RequestFailedError, with the same codes and words, as the Docker session does.
 */
import { RequestFailedError } from "../../../src/sandbox/supervisor-client.ts";
import type { SandboxFile } from "../../../src/sandbox/types.ts";
import { mimeType } from "./mime.ts";

/** The supervisor reports at most this many changed files per run, and counts the rest. */
export const MAX_REPORTED_CHANGES = 100;

interface StoredFile {
  data: Buffer;
  mtimeMs: number;
  /** Bumped on every write, so a rewrite with the same bytes in the same millisecond still counts. */
  version: number;
}

export type FolderSnapshot = ReadonlyMap<string, number>;

export class MemoryDataFolder {
  private readonly files = new Map<string, StoredFile>();
  private writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** `path` is relative to /mnt/data, as the bot names files. */
  write(path: string, data: Buffer | string): void {
    const name = normalize(path);
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i += 1) {
      const parent = parts.slice(0, i).join("/");
      if (this.files.has(parent)) throw badPath(`${parent} is not a directory`);
    }
    if (this.isDirectory(name)) throw badPath(`${name} is a directory; only regular files are transferred`);
    this.writes += 1;
    const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
    this.files.set(name, { data: bytes, mtimeMs: this.now(), version: this.writes });
  }

  read(path: string, maxBytes = Number.POSITIVE_INFINITY): Buffer {
    const name = normalize(path);
    const file = this.files.get(name);
    if (!file) {
      if (this.isDirectory(name)) throw badPath(`${name} is a directory; only regular files are transferred`);
      throw badPath(`no such file: ${name}`);
    }
    if (file.data.length > maxBytes) {
      throw new RequestFailedError(
        `file is ${file.data.length} bytes, over the ${maxBytes} byte limit`,
        "too_large",
        file.data.length,
      );
    }
    return Buffer.from(file.data);
  }

  has(path: string): boolean {
    return this.files.has(normalize(path));
  }

  remove(path: string): boolean {
    return this.files.delete(normalize(path));
  }

  clear(): void {
    this.files.clear();
  }

  /** Like the supervisor's walk: sorted by path, files under hidden folders left out. */
  list(): SandboxFile[] {
    return [...this.files.entries()]
      .filter(
        ([name]) =>
          !name
            .split("/")
            .slice(0, -1)
            .some((part) => part.startsWith(".")),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, file]) => describe(name, file));
  }

  snapshot(): FolderSnapshot {
    return new Map([...this.files.entries()].map(([name, file]) => [name, file.version]));
  }

  /** Files written since `before`, oldest first, capped as the supervisor caps them. */
  changedSince(before: FolderSnapshot): { files: SandboxFile[]; moreFiles: number } {
    const changed = [...this.files.entries()]
      .filter(([name, file]) => before.get(name) !== file.version)
      .map(([name, file]) => describe(name, file))
      .sort((a, b) => (a.mtimeMs ?? 0) - (b.mtimeMs ?? 0) || (a.path < b.path ? -1 : 1));
    return {
      files: changed.slice(0, MAX_REPORTED_CHANGES),
      moreFiles: Math.max(changed.length - MAX_REPORTED_CHANGES, 0),
    };
  }

  private isDirectory(name: string): boolean {
    const prefix = `${name}/`;
    return [...this.files.keys()].some((other) => other.startsWith(prefix));
  }
}

function describe(path: string, file: StoredFile): SandboxFile {
  return { path, size: file.data.length, mime: mimeType(path), mtimeMs: file.mtimeMs };
}

function badPath(message: string): RequestFailedError {
  return new RequestFailedError(message, "bad_path", null);
}

/** The supervisor's `_split`: a relative name that stays inside /mnt/data. */
export function normalize(relative: string): string {
  if (!relative || relative.includes("\0") || relative.length > 1024) throw badPath("invalid file name");
  const parts = relative.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.length === 0 || relative.startsWith("/") || parts.includes("..")) {
    throw badPath("file names must stay inside /mnt/data");
  }
  return parts.join("/");
}
