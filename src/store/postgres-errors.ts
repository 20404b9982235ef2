/**
 * PostgreSQL's and the network's errors, turned into ours at the store's edge, by what the
 * caller does next: a server that restarts, fails over or drops a connection is a passing
 * fault (retry); a full disk, a read-only standby, refused credentials or a missing database
 * need an admin (stop and say what to check). SQLSTATE classes: PostgreSQL's appendix A.
 */
import { asBotError, type BotError, FatalError, RetryableError } from "../errors.ts";
import { UNREACHABLE_SOCKET_CODES } from "../socket-errors.ts";

/** Serialization failures and deadlocks: the transaction lost a race and may simply run again. */
const BUSY = new Set(["40001", "40P01", "55P03"]);
/** The server is shutting down or starting: admin_shutdown, crash_shutdown, cannot_connect_now. */
const RESTARTING = new Set(["57P01", "57P02", "57P03"]);

/**
 * `where` names the server without credentials (describeDatabaseUrl). pg's own errors carry a
 * five-character `code`; a connection it lost mid-query is a plain Error with none.
 */
export function toPostgresStoreError(error: unknown, operation: string, where: string): BotError {
  const code =
    typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : "";
  const detail = error instanceof Error ? error.message : String(error);
  if (BUSY.has(code)) {
    return new RetryableError("store-busy", `Cannot ${operation}: the database is busy (${detail}).`, error);
  }
  if (
    UNREACHABLE_SOCKET_CODES.has(code) ||
    RESTARTING.has(code) ||
    code.startsWith("08") ||
    code === "53300" ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(detail)
  ) {
    return new RetryableError(
      "store-unreachable",
      `Cannot ${operation}: the database at ${where} cannot be reached (${detail}). ` +
        "Check that PostgreSQL is running and that this host can connect to it.",
      error,
    );
  }
  if (code === "53100") {
    return new FatalError(
      "store-unusable",
      `Cannot ${operation}: the database server at ${where} has no disk space left (${detail}).`,
      error,
    );
  }
  if (code === "25006") {
    return new FatalError(
      "store-unusable",
      `Cannot ${operation}: the database at ${where} is read-only (${detail}). ` +
        "DATABASE_URL must point at the primary, not at a standby.",
      error,
    );
  }
  if (code.startsWith("28") || code === "3D000" || code === "42501") {
    return new FatalError(
      "store-unusable",
      `Cannot ${operation}: the database at ${where} refused the bot (${detail}). ` +
        "Check DATABASE_URL's user, password and database name, and the user's privileges.",
      error,
    );
  }
  return asBotError(error, "store");
}

/** The URL without its password, for logs and messages: `postgres://bot@db:5432/bot`. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "DATABASE_URL (not a valid URL)";
  }
}
