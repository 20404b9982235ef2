/**
 * Which database holds the bot's state: SQLite in DATA_DIR by default, or PostgreSQL when
 * DATABASE_URL names one, which is what several replicas of the bot share. The URL carries a
 * password, so no message here repeats it.
 */
import type { EnvReader } from "../config.ts";
import { describeDatabaseUrl } from "./postgres-errors.ts";

export interface PostgresConfig {
  url: string;
  /** Connections one replica may hold at once; the server's max_connections bounds all replicas together. */
  maxConnections: number;
}

export function readPostgresConfig(read: EnvReader): PostgresConfig | null {
  const url = read.optionalString("DATABASE_URL");
  const maxConnections = read.number("DATABASE_MAX_CONNECTIONS", 10, 1, 1_000);
  if (url === null) return null;
  let protocol = "";
  try {
    protocol = new URL(url).protocol;
  } catch {
    read.problem(
      "DATABASE_URL is not a URL: use postgres://user:password@host:5432/database, or leave it unset for SQLite in DATA_DIR.",
    );
    return null;
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:") {
    read.problem(
      `DATABASE_URL must start with postgres:// (it starts with ${protocol}//); leave it unset for SQLite in DATA_DIR.`,
    );
    return null;
  }
  return { url, maxConnections };
}

/** Where the state lives, for logs and `status`: never the password. */
export function describeDatabase(config: { databasePath: string; postgres: PostgresConfig | null }): string {
  return config.postgres
    ? `PostgreSQL at ${describeDatabaseUrl(config.postgres.url)}`
    : `SQLite at ${config.databasePath}`;
}
