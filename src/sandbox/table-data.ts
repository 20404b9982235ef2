/**
 * A table the code displayed (a pandas DataFrame or Series), as the kernel sends it under
 * application/vnd.cib.table+json (sandbox-image/kernel/cib_tables.py): the first and last
 * rows as the strings pandas prints, and the table's whole size. The JSON comes from inside
 * the sandbox, so it is checked field by field; anything else is refused, never half-used.
 */
import { isJsonObject } from "../json-object.ts";

export const TABLE_MIME = "application/vnd.cib.table+json";

/** What the kernel sends at most; a table beyond these is not one the kernel made. */
const MAX_HEAD_ROWS = 20;
const MAX_TAIL_ROWS = 5;
const MAX_COLUMNS = 30;
const MAX_INDEX_COLUMNS = 8;
const MAX_CELL_CHARS = 40;

export interface TableData {
  kind: "DataFrame" | "Series";
  /** The headers: the index levels' names first (often empty), then the columns sent. */
  columns: string[];
  /** How many of `columns` are index levels; they are always shown. */
  indexColumns: number;
  /** Per column, whether it holds numbers (shown right-aligned). */
  numeric: boolean[];
  /** The first rows, one cell per column. */
  head: string[][];
  /** The last rows, when the table has more rows than are sent; otherwise empty. */
  tail: string[][];
  /** The whole table's size; columns do not count the index. */
  totalRows: number;
  totalColumns: number;
  /** Why the whole table did not come as CSV, when it did not; in words, e.g. "it would be about 40.0 MiB, over the 12 MiB limit". */
  csvMissing: string | null;
}

function strings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error(`${what} is not a list of strings`);
  }
  // Counted in code points, as Python counts them.
  if (value.some((item) => item.length > MAX_CELL_CHARS && [...item].length > MAX_CELL_CHARS)) {
    throw new Error(`${what} has a cell over ${MAX_CELL_CHARS} characters`);
  }
  return value;
}

function rows(value: unknown, width: number, most: number, what: string): string[][] {
  if (!Array.isArray(value) || value.length > most)
    throw new Error(`${what} is not a list of at most ${most} rows`);
  return value.map((row, i) => {
    const cells = strings(row, `${what}[${i}]`);
    if (cells.length !== width) throw new Error(`${what}[${i}] has ${cells.length} cells, not ${width}`);
    return cells;
  });
}

function count(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${what} is not a count`);
  }
  return value;
}

/** Parses the kernel's table JSON; throws an Error saying what is wrong with it. */
export function parseTableData(text: string): TableData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("the table is not JSON");
  }
  if (!isJsonObject(value)) throw new Error("the table is not an object");
  if (value.kind !== "DataFrame" && value.kind !== "Series") throw new Error("the table's kind is unknown");
  const columns = strings(value.columns, "columns");
  const indexColumns = count(value.index_columns, "index_columns");
  if (indexColumns > MAX_INDEX_COLUMNS || columns.length > indexColumns + MAX_COLUMNS) {
    throw new Error("the table has too many columns");
  }
  const numeric = value.numeric;
  if (
    !Array.isArray(numeric) ||
    numeric.length !== columns.length ||
    !numeric.every((n) => typeof n === "boolean")
  ) {
    throw new Error("numeric does not match the columns");
  }
  const csvMissing = value.csv_missing;
  if (csvMissing !== undefined && typeof csvMissing !== "string") throw new Error("csv_missing is not text");
  return {
    kind: value.kind,
    columns,
    indexColumns,
    numeric,
    head: rows(value.head, columns.length, MAX_HEAD_ROWS, "head"),
    tail: rows(value.tail, columns.length, MAX_TAIL_ROWS, "tail"),
    totalRows: count(value.rows, "rows"),
    totalColumns: count(value.cols, "cols"),
    csvMissing: typeof csvMissing === "string" ? csvMissing.slice(0, 200) : null,
  };
}
