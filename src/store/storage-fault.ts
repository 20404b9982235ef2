/**
 * Whether an error means the bot's own storage (DATA_DIR: the database, the kept files) cannot
 * take writes, and why, so people and admins are told that instead of "internal error". SQLite
 * and Node report the same few faults under different codes, often wrapped in our own errors.
 */

/** full: no space left. read-only: the file system or the file refuses writes. no-permission: the bot's user may not write. */
export type StorageFault = "full" | "read-only" | "no-permission";

const BY_CODE: Readonly<Record<string, StorageFault>> = {
  ENOSPC: "full",
  EDQUOT: "full",
  SQLITE_FULL: "full",
  EROFS: "read-only",
  SQLITE_READONLY: "read-only",
  EACCES: "no-permission",
  EPERM: "no-permission",
};

/** Causes are followed this deep at most: a cycle of causes must not hang the reply. */
const MAX_CAUSES = 8;

/** The storage fault behind `error` or any of its causes, or null when it is something else. */
export function storageFaultOf(error: unknown): StorageFault | null {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSES && current instanceof Error; depth += 1) {
    const code = storageCodeOf(current);
    if (code) {
      // SQLite's extended codes (SQLITE_READONLY_DBMOVED, ...) share their primary code's meaning.
      const primary = code.startsWith("SQLITE_") ? code.split("_").slice(0, 2).join("_") : code;
      const fault = BY_CODE[primary];
      if (fault) return fault;
    }
    current = current.cause;
  }
  return null;
}

/**
 * Node's errno codes count only on its system errors (they name a syscall); permission errors
 * only from a file operation (they name a path): EACCES on the Docker socket, say, is not the
 * bot's storage. A full or read-only disk is never anything else.
 */
function storageCodeOf(error: Error): string | null {
  const { code, syscall, path } = error as { code?: unknown; syscall?: unknown; path?: unknown };
  if (typeof code !== "string") return null;
  if (code.startsWith("SQLITE_")) return code;
  if (typeof syscall !== "string") return null;
  return (code !== "EACCES" && code !== "EPERM") || typeof path === "string" ? code : null;
}

/** The fault in a few words, for sentences that name it ("the disk is full"). */
export function storageFaultWords(fault: StorageFault): string {
  switch (fault) {
    case "full":
      return "the disk is full";
    case "read-only":
      return "the file system is read-only";
    case "no-permission":
      return "the bot's user has no permission to write there";
  }
}
