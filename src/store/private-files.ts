/**
 * What the bot keeps under DATA_DIR (conversations, usage, kept sandbox files, the web chat's
 * transcripts and uploads) is readable by the bot's user only: directories 0700, files 0600.
 * Modes are passed at creation and the ones that matter most are set again with chmod, so they
 * do not depend on the process's umask.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../logger.ts";
import { checkDataDirWritable, dataDirError, whyUncreatable } from "./data-dir-check.ts";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** For `mkdir`, `writeFile` and `createWriteStream`: created private, never looser. */
export const PRIVATE_DIR = { recursive: true, mode: PRIVATE_DIR_MODE } as const;
export const PRIVATE_FILE = { mode: PRIVATE_FILE_MODE } as const;

/**
 * Makes `dir` (and missing parents) with mode 0700. A directory that already exists keeps the
 * mode its admin gave it, since a looser one may be deliberate (a backup group, say); the result
 * says whether group or others can read or enter it, so the caller can warn.
 */
export function ensurePrivateDir(dir: string): { created: boolean; openToOthers: boolean } {
  const created = mkdirSync(dir, PRIVATE_DIR) !== undefined;
  if (created) chmodSync(dir, PRIVATE_DIR_MODE);
  return { created, openToOthers: (statSync(dir).mode & 0o077) !== 0 };
}

/**
 * Creates a SQLite database file as 0600 before SQLite opens it (SQLite would make it 0644 less
 * the umask), and tightens an existing one and its `-wal`/`-shm`: these are the bot's own files.
 * SQLite gives the `-wal` and `-shm` it creates later the database file's mode.
 */
export function preparePrivateDatabase(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), PRIVATE_DIR);
  closeSync(openSync(file, "a", PRIVATE_FILE_MODE));
  for (const each of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (existsSync(each)) chmodSync(each, PRIVATE_FILE_MODE);
  }
}

/**
 * Creates DATA_DIR private at start-up and proves it takes writes (data-dir-check.ts), or warns
 * once when an existing one lets group or others in: its contents are private either way, but
 * its listing would show who uses the bot and when. An unusable folder stops the start with one
 * line that says which, why and what to do, before anything is created in it or elsewhere.
 */
export function prepareDataDir(dir: string, logger: Logger): void {
  let openToOthers: boolean;
  try {
    ({ openToOthers } = ensurePrivateDir(dir));
  } catch (error) {
    throw dataDirError(dir, "cannot be created or read", whyUncreatable(dir, error));
  }
  checkDataDirWritable(dir);
  if (openToOthers) {
    logger.warn(
      { dataDir: dir, mode: (statSync(dir).mode & 0o777).toString(8) },
      "DATA_DIR can be read by other users of this machine: chmod 700 it (the bot leaves its mode alone)",
    );
  }
}
