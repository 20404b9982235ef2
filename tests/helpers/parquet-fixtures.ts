/**
 * Parquet fixtures written by an independent implementation (arrow-rs, as parquet-wasm), and a
 * reader for the files the sandbox writes, so the sandbox's pure-Python Parquet is checked
 * against a real one rather than against itself. Each column carries the values the Python side
 * must print, in one canonical JSON form: numbers, booleans, text, timestamps as epoch
 * nanoseconds in a string, decimals as exact strings, and null.
 */
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm";

export type Canonical = string | number | boolean | null;

export interface FixtureColumn {
  name: string;
  /** The pandas dtype the sandbox's reader gives, as `str(dtype)`. */
  dtype: string;
  values: Canonical[];
  vector: arrow.Vector;
}

const ROWS = 10;
const NULL_AT = new Set([1, 7]);
const MS_BASE = Date.UTC(2024, 2, 10, 8, 30, 15, 250);

function withNulls<T>(make: (i: number) => T): (T | null)[] {
  return Array.from({ length: ROWS }, (_, i) => (NULL_AT.has(i) ? null : make(i)));
}

function bigintData(type: arrow.DataType, values: (bigint | null)[]): arrow.Vector {
  const validity = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) validity[i >> 3] = (validity[i >> 3] ?? 0) | (1 << (i & 7));
  });
  const data = BigInt64Array.from(values, (v) => v ?? 0n);
  const nullCount = values.filter((v) => v === null).length;
  return new arrow.Vector([
    arrow.makeData({ type, length: values.length, nullCount, data, nullBitmap: validity } as never),
  ]);
}

function int32Data(type: arrow.DataType, values: (number | null)[]): arrow.Vector {
  const validity = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) validity[i >> 3] = (validity[i >> 3] ?? 0) | (1 << (i & 7));
  });
  const nullCount = values.filter((v) => v === null).length;
  const data = Int32Array.from(values, (v) => v ?? 0);
  return new arrow.Vector([
    arrow.makeData({ type, length: values.length, nullCount, data, nullBitmap: validity } as never),
  ]);
}

/** A time of day as Python's `time.isoformat(timespec="microseconds")` writes it. */
function clockText(ms: number): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  const seconds = Math.floor(ms / 1000);
  const micros = String((ms % 1000) * 1000).padStart(6, "0");
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}.${micros}`;
}

/** Decimal128 data: the unscaled value as four little-endian 32-bit words, two's complement. */
function decimalVector(scale: number, precision: number, values: (string | null)[]): arrow.Vector {
  const words = new Uint32Array(values.length * 4);
  const validity = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((text, i) => {
    if (text === null) return;
    validity[i >> 3] = (validity[i >> 3] ?? 0) | (1 << (i & 7));
    const [whole = "", fraction = ""] = text.replace("-", "").split(".");
    let unscaled = BigInt(whole + fraction.padEnd(scale, "0"));
    if (text.startsWith("-")) unscaled = (1n << 128n) - unscaled;
    for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((unscaled >> BigInt(32 * w)) & 0xffffffffn);
  });
  const nullCount = values.filter((v) => v === null).length;
  const type = new arrow.Decimal(scale, precision, 128);
  return new arrow.Vector([
    arrow.makeData({ type, length: values.length, nullCount, data: words, nullBitmap: validity } as never),
  ]);
}

function timestampColumn(name: string, type: arrow.DataType, perMs: bigint, tz: boolean): FixtureColumn {
  const raw = withNulls((i) => BigInt(MS_BASE + i * 3_600_123) * perMs + BigInt(i));
  const toNs = 1_000_000n / perMs;
  return {
    name,
    dtype: tz ? "datetime64[ns, UTC]" : "datetime64[ns]",
    values: raw.map((v) => (v === null ? null : String(v * toNs))),
    vector: bigintData(type, raw),
  };
}

/** The flat columns every reader fixture holds: one per type family the reader maps. */
export function flatColumns(): FixtureColumn[] {
  const i8 = Array.from({ length: ROWS }, (_, i) => [-128, -1, 0, 1, 127][i % 5] ?? 0);
  const u32 = Array.from({ length: ROWS }, (_, i) => (i === 2 ? 4_294_967_295 : i * 1000));
  const i64 = withNulls((i) => BigInt(i) * 1_000_000_007n - 3n);
  const f32 = Array.from({ length: ROWS }, (_, i) => i * 1.5 - 2.25);
  const f64 = withNulls((i) => i / 8 - 0.375);
  const flags = withNulls((i) => i % 3 === 0);
  const names = withNulls((i) => ["héllo", "日本", "", "plain text", "a,b"][i % 5] ?? "");
  const cities = withNulls((i) => (i % 2 === 0 ? "Paris" : "Oslo"));
  const days = withNulls((i) => 19_000 + i * 37 - 25_000);
  const prices = withNulls((i) => ["123.45", "-0.05", "0.00", "9999999.99", "-1234567.89"][i % 5] ?? "0.00");
  const clock = withNulls((i) => i * 4_321_987 + 5);
  const bigs = withNulls((i) => `${i % 2 ? "-" : ""}1234567890123456789${i}.1234`);
  return [
    { name: "i8", dtype: "int8", values: i8, vector: arrow.vectorFromArray(i8, new arrow.Int8()) },
    { name: "u32", dtype: "uint32", values: u32, vector: arrow.vectorFromArray(u32, new arrow.Uint32()) },
    {
      name: "i64",
      dtype: "float64",
      values: i64.map((v) => (v === null ? null : Number(v))),
      vector: bigintData(new arrow.Int64(), i64),
    },
    { name: "f32", dtype: "float32", values: f32, vector: arrow.vectorFromArray(f32, new arrow.Float32()) },
    { name: "f64", dtype: "float64", values: f64, vector: arrow.vectorFromArray(f64, new arrow.Float64()) },
    { name: "flag", dtype: "object", values: flags, vector: arrow.vectorFromArray(flags, new arrow.Bool()) },
    { name: "name", dtype: "object", values: names, vector: arrow.vectorFromArray(names, new arrow.Utf8()) },
    {
      name: "city",
      dtype: "object",
      values: cities,
      vector: arrow.vectorFromArray(cities, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    },
    timestampColumn("ts_ms_utc", new arrow.TimestampMillisecond("UTC"), 1n, true),
    timestampColumn("ts_us", new arrow.TimestampMicrosecond(), 1_000n, false),
    timestampColumn("ts_ns_utc", new arrow.TimestampNanosecond("UTC"), 1_000_000n, true),
    {
      name: "day",
      dtype: "datetime64[ns]",
      values: days.map((d) => (d === null ? null : String(BigInt(d) * 86_400_000_000_000n))),
      vector: arrow.vectorFromArray(
        days.map((d) => (d === null ? null : new Date(d * 86_400_000))),
        new arrow.DateDay(),
      ),
    },
    {
      name: "clock",
      dtype: "object",
      values: clock.map((ms) => (ms === null ? null : clockText(ms))),
      vector: int32Data(new arrow.TimeMillisecond(), clock),
    },
    { name: "price", dtype: "object", values: prices, vector: decimalVector(2, 9, prices) },
    { name: "big", dtype: "object", values: bigs, vector: decimalVector(4, 30, bigs) },
  ];
}

/** A table with one list column among flat ones, for the nested-column refusal. */
export function listTable(): arrow.Table {
  const tags = [["a", "b"], [], ["c"]];
  return new arrow.Table({
    id: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
    tags: arrow.vectorFromArray(tags, new arrow.List(new arrow.Field("item", new arrow.Utf8(), true))),
    score: arrow.vectorFromArray([0.5, 1.5, 2.5], new arrow.Float64()),
  });
}

export function tableOf(columns: FixtureColumn[]): arrow.Table {
  return new arrow.Table(Object.fromEntries(columns.map((c) => [c.name, c.vector])));
}

export interface WriteOptions {
  compression: keyof typeof pq.Compression;
  version: "V1" | "V2";
  dictionary: boolean;
  rowGroupSize: number;
  /** Non-dictionary encodings by column, for the ones arrow-rs supports for that column's type. */
  encodings?: Record<string, keyof typeof pq.Encoding>;
}

export function writeParquet(table: arrow.Table, options: WriteOptions): Uint8Array {
  let builder = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression[options.compression])
    .setWriterVersion(pq.WriterVersion[options.version])
    .setDictionaryEnabled(options.dictionary)
    .setMaxRowGroupSize(options.rowGroupSize);
  for (const [column, encoding] of Object.entries(options.encodings ?? {})) {
    builder = builder.setColumnEncoding(column, pq.Encoding[encoding]);
  }
  return pq.writeParquet(pq.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), builder.build());
}

/** Every non-dictionary encoding arrow-rs writes, on columns of the types it applies to. */
export const DELTA_AND_SPLIT_ENCODINGS: Record<string, keyof typeof pq.Encoding> = {
  i8: "DELTA_BINARY_PACKED",
  u32: "DELTA_BINARY_PACKED",
  i64: "DELTA_BINARY_PACKED",
  ts_us: "DELTA_BINARY_PACKED",
  f32: "BYTE_STREAM_SPLIT",
  f64: "BYTE_STREAM_SPLIT",
  name: "DELTA_BYTE_ARRAY",
  city: "DELTA_LENGTH_BYTE_ARRAY",
};

export interface ReadBack {
  types: Record<string, string>;
  columns: Record<string, Canonical[]>;
}

/** Reads Parquet bytes with arrow-rs: each column's Arrow type and its values, canonical. */
export function readParquet(bytes: Uint8Array): ReadBack {
  const table = arrow.tableFromIPC(pq.readParquet(bytes).intoIPCStream());
  const types: Record<string, string> = {};
  const columns: Record<string, Canonical[]> = {};
  for (const field of table.schema.fields) {
    types[field.name] = field.type.toString();
    const vector = table.getChild(field.name);
    columns[field.name] = Array.from({ length: table.numRows }, (_, i) => canonical(vector?.get(i)));
  }
  return { types, columns };
}

function canonical(value: unknown): Canonical {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") return value;
  return String(value);
}
