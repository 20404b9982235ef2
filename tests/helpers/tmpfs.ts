/**
 * Small file systems for storage-fault tests: a tmpfs of a few MB that a test fills up, or one
 * mounted read-only. Mounting needs root (as in CI); the caller unmounts in a `finally`.
 */
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export const IS_ROOT = process.getuid?.() === 0;

/** A test's folder on a disk of its own (or, for a non-root unwritable folder, a plain one). */
export interface Tmpfs {
  dir: string;
  /** Unmounts and removes the mount point; safe to call twice. */
  unmount(): Promise<void>;
}

/** Mounts a tmpfs at `at` (an existing, empty folder), or at a new temporary folder. */
export async function mountTmpfs(options: {
  sizeKb: number;
  readOnly?: boolean;
  at?: string;
}): Promise<Tmpfs> {
  const dir = options.at ?? (await mkdtemp(path.join(tmpdir(), "cib-tmpfs-")));
  const flags = [options.readOnly ? "ro" : "rw", `size=${options.sizeKb}k`, "mode=0700"].join(",");
  execFileSync("mount", ["-t", "tmpfs", "-o", flags, "tmpfs", dir]);
  let mounted = true;
  return {
    dir,
    async unmount() {
      if (mounted) {
        try {
          execFileSync("umount", [dir]);
        } catch {
          // Still busy (a bot that failed to close): detach it now, the kernel frees it later.
          execFileSync("umount", ["-l", dir]);
        }
      }
      mounted = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A folder the bot's user cannot write: a read-only mount for root (who ignores file modes), a
 * folder of mode 0500 for anyone else.
 */
export async function unwritableFolder(): Promise<Tmpfs> {
  if (IS_ROOT) return mountTmpfs({ sizeKb: 1024, readOnly: true });
  const dir = await mkdtemp(path.join(tmpdir(), "cib-unwritable-"));
  await chmod(dir, 0o500);
  return {
    dir,
    async unmount() {
      await chmod(dir, 0o700);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes zeros to `file` until the disk under it has no room left; returns the bytes written. */
export async function fillDisk(file: string): Promise<number> {
  const handle = await open(file, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) {
      try {
        const { bytesWritten } = await handle.write(chunk);
        written += bytesWritten;
        if (bytesWritten === 0) return written;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw error;
      }
    }
    // The last pages a 64 KB write could not take: fill them 512 bytes at a time.
    const small = Buffer.alloc(512);
    for (;;) {
      try {
        written += (await handle.write(small)).bytesWritten;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOSPC") return written;
        throw error;
      }
    }
  } finally {
    await handle.close();
  }
}
