/** One statement against the pool, errors already turned into ours: what the SQL modules are given. */
import type pg from "pg";

export type PostgresQuery = <Row extends pg.QueryResultRow>(
  text: string,
  values: readonly unknown[],
) => Promise<Row[]>;
