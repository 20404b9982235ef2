/**
 * Proves at start-up that DATA_DIR takes writes, so a folder the bot cannot use stops it with
 * one sentence naming the folder, the reason and the fix, instead of a SQLite error (or a crash
 * on the first message) later. A write and a delete of one small file is the only proof: root
 * ignores file modes, a read-only mount or a full disk shows only when something is written.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  openSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { errorMessage, FatalError } from "../errors.ts";
import { type StorageFault, storageFaultOf } from "./storage-fault.ts";

/** What the admin can do about each fault; every fix also allows pointing DATA_DIR elsewhere. */
const FIX: Record<StorageFault, string> = {
  full: "free space on that disk",
  "read-only": "mount it read-write",
  "no-permission": "make it writable by the bot's user",
};

/** Throws a FatalError with a one-line message when `dir` (which must exist) cannot take a write. */
export function checkDataDirWritable(dir: string): void {
  const probe = path.join(dir, `.write-check-${process.pid}`);
  let fd: number | undefined;
  try {
    fd = openSync(probe, "wx", 0o600);
    writeSync(fd, "ok");
    // A full disk may accept the file and refuse its first block only when it is flushed.
    fsyncSync(fd);
  } catch (error) {
    throw dataDirError(dir, "is not writable", error);
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(probe, { force: true });
  }
}

/**
 * Why `dir` could not be made: a recursive mkdir on a read-only file system reports ENOENT, so
 * the nearest folder that exists is asked whether it takes writes, which names the real fault.
 */
export function whyUncreatable(dir: string, error: unknown): unknown {
  let parent = path.dirname(path.resolve(dir));
  while (!existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
  try {
    accessSync(parent, constants.W_OK);
  } catch (denied) {
    return denied;
  }
  return error;
}

/** The one-line FatalError for a DATA_DIR that cannot be used: which folder, why, what to do. */
export function dataDirError(dir: string, what: string, error: unknown): FatalError {
  const fault = storageFaultOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  const why = fault ? WHY[fault] : firstLine(errorMessage(error));
  const fix = fault ? FIX[fault] : "make it a folder the bot's user can write to";
  return new FatalError(
    "data-dir",
    `DATA_DIR (${dir}) ${what}: ${why}${typeof code === "string" ? ` (${code})` : ""}. ` +
      `To start the bot, ${fix}, or set DATA_DIR to another folder.`,
    error,
  );
}

const WHY: Record<StorageFault, string> = {
  full: "the disk under it is full",
  "read-only": "it is on a read-only file system",
  "no-permission": `the bot's user (uid ${process.getuid?.() ?? "unknown"}) has no permission to write there`,
};

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
