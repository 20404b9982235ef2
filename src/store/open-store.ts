/** Opens the store the configuration names: PostgreSQL for DATABASE_URL, else SQLite in DATA_DIR. */
import type { Logger } from "../logger.ts";
import type { PostgresConfig } from "./database-config.ts";
import { openPostgresStore } from "./postgres-store.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import type { Store } from "./types.ts";

export interface StoreConfig {
  databasePath: string;
  postgres: PostgresConfig | null;
}

export async function openStore(config: StoreConfig, logger: Logger): Promise<Store> {
  if (config.postgres) {
    return openPostgresStore({
      url: config.postgres.url,
      maxConnections: config.postgres.maxConnections,
      logger,
    });
  }
  return openSqliteStore({ path: config.databasePath, logger });
}
