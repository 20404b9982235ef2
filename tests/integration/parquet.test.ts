/**
 * Parquet in the sandbox without pyarrow: pd.read_parquet and DataFrame.to_parquet go through the
 * pure-Python cib_parquet package, checked against an independent implementation (arrow-rs, as
 * parquet-wasm) in both directions: files it writes are read in the sandbox, and files the sandbox
 * writes are read by it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import type { Execution } from "../../src/sandbox/types.ts";
import {
  type Canonical,
  DELTA_AND_SPLIT_ENCODINGS,
  flatColumns,
  listTable,
  readParquet,
  tableOf,
  type WriteOptions,
  writeParquet,
} from "../helpers/parquet-fixtures.ts";
import { createTestSandbox, type TestSandbox, testTimeout } from "../helpers/sandbox.ts";
import { lastLine, runOk } from "../helpers/sandbox-runs.ts";

let sandbox: TestSandbox;
let session: ContainerSession;
const RUN = { timeoutMs: testTimeout(60_000) };

/** Prints a frame as the fixtures' canonical JSON: dtypes, and values with nulls as null. */
const CANONICAL_JSON = [
  "import json, math, decimal, datetime",
  "import numpy as np, pandas as pd",
  "def canon(v):",
  "    if v is None or v is pd.NaT: return None",
  "    if isinstance(v, float) and math.isnan(v): return None",
  "    if isinstance(v, pd.Timestamp): return str(v.value)",
  "    if isinstance(v, decimal.Decimal): return str(v)",
  "    if isinstance(v, datetime.time): return v.isoformat(timespec='microseconds')",
  "    if isinstance(v, np.generic): return v.item()",
  "    return v",
  "def frame_json(df):",
  "    return json.dumps({'dtypes': {c: str(t) for c, t in df.dtypes.items()},",
  "                       'columns': {c: [canon(v) for v in df[c].astype(object).tolist()] for c in df.columns}})",
].join("\n");

beforeAll(async () => {
  sandbox = await createTestSandbox();
  session = await sandbox.manager.acquire("parquet");
  await session.open();
  // Nothing installs the engine here: the kernel did, as it does for every sandbox.
  await run(CANONICAL_JSON);
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

function run(code: string): Promise<Execution> {
  return runOk(session, code, RUN);
}

interface FrameJson {
  dtypes: Record<string, string>;
  columns: Record<string, Canonical[]>;
}

describe("reading files arrow-rs wrote", () => {
  const columns = flatColumns();
  const expected: FrameJson = {
    dtypes: Object.fromEntries(columns.map((c) => [c.name, c.dtype])),
    columns: Object.fromEntries(columns.map((c) => [c.name, c.values])),
  };
  const variants: [string, WriteOptions][] = [];
  for (const compression of ["SNAPPY", "GZIP", "ZSTD", "BROTLI", "LZ4_RAW", "LZ4", "UNCOMPRESSED"] as const) {
    for (const version of ["V1", "V2"] as const) {
      for (const dictionary of [true, false]) {
        const name = `${compression}-${version}-${dictionary ? "dictionary" : "plain"}`;
        variants.push([name, { compression, version, dictionary, rowGroupSize: 4 }]);
      }
    }
  }
  for (const version of ["V1", "V2"] as const) {
    const options = { compression: "SNAPPY", version, dictionary: false, rowGroupSize: 4 } as const;
    variants.push([`delta-and-split-${version}`, { ...options, encodings: DELTA_AND_SPLIT_ENCODINGS }]);
  }

  it.each(variants)("reads %s: every value, null, time zone and decimal", async (name, options) => {
    await session.putFile(`${name}.parquet`, Buffer.from(writeParquet(tableOf(columns), options)));
    const execution = await run(`print(frame_json(pd.read_parquet('/mnt/data/${name}.parquet')))`);
    expect(JSON.parse(lastLine(execution))).toEqual(expected);
  });
});

describe("writing files arrow-rs reads", () => {
  const MAKE_FRAME = [
    "df = pd.DataFrame({",
    "    'n': np.array([1, -2, 3, 2**40, 0], dtype='int64'),",
    "    'x': [1.5, np.nan, -0.25, 1e300, 0.0],",
    "    'ok': [True, False, True, True, False],",
    "    's': ['a', None, 'héllo', 'a', np.nan],",
    "    'when': pd.to_datetime(['2024-01-01 10:00', None, '2024-06-30 23:59:59.125', '2000-01-01', '1970-01-01'])",
    "            .tz_localize('Europe/Paris'),",
    "    'small': np.array([1, 2, 3, 4, 255], dtype='uint8'),",
    "    'cat': pd.Categorical(['hi', 'lo', None, 'lo', 'hi']),",
    "    'ni': pd.array([1, None, 3, None, 5], dtype='Int64'),",
    "}, index=pd.Index(['a', 'b', 'c', 'd', 'e'], name='key'))",
  ].join("\n");
  const types = {
    n: "Int64",
    x: "Float64",
    ok: "Bool",
    s: "Utf8",
    when: "Timestamp<NANOSECOND, UTC>",
    small: "Uint8",
    cat: "Utf8",
    ni: "Int64",
    key: "Utf8",
  };
  const values: Record<string, Canonical[]> = {
    n: ["1", "-2", "3", "1099511627776", "0"],
    x: [1.5, "NaN", -0.25, 1e300, 0],
    ok: [true, false, true, true, false],
    s: ["a", null, "héllo", "a", null],
    when: [1704099600000, null, 1719784799125, 946681200000, -3600000],
    small: [1, 2, 3, 4, 255],
    cat: ["hi", "lo", null, "lo", "hi"],
    ni: ["1", null, "3", null, "5"],
    key: ["a", "b", "c", "d", "e"],
  };

  it.each([
    ["default (snappy)", "out-default.parquet", ""],
    ["gzip", "out-gzip.parquet", ", compression='gzip'"],
    ["zstd", "out-zstd.parquet", ", compression='zstd'"],
  ])("writes %s with the types, values and nulls arrow-rs expects", async (_label, file, extra) => {
    const execution = await run(
      [
        MAKE_FRAME,
        `df.to_parquet('/mnt/data/${file}'${extra})`,
        `back = pd.read_parquet('/mnt/data/${file}')`,
        "pd.testing.assert_frame_equal(back, df)",
        "print(back.index.name, back['cat'].dtype, back['when'].dt.tz, 'equal')",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("key category Europe/Paris equal");
    const readBack = readParquet(new Uint8Array(await session.getFile(file)));
    expect(readBack.types).toEqual(types);
    expect(readBack.columns).toEqual(values);
  });

  it("returns bytes from to_parquet() with no path, stores a RangeIndex as metadata only", async () => {
    const execution = await run(
      [
        "data = pd.DataFrame({'v': [3, 1, 2]}, index=pd.RangeIndex(10, 13)).to_parquet()",
        "import io",
        "back = pd.read_parquet(io.BytesIO(data))",
        "print(type(data).__name__, data[:4], list(back.index), back['v'].tolist())",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("bytes b'PAR1' [10, 11, 12] [3, 1, 2]");
  });

  it("names the column and the fix when a column mixes types", async () => {
    const execution = await session.execute(
      "pd.DataFrame({'mixed': [1, 'two', 3.0]}).to_parquet('/mnt/data/mixed.parquet')",
      RUN,
    );
    expect(execution.status).toBe("error");
    expect(execution.error?.name).toBe("ParquetError");
    expect(execution.error?.value).toContain("column 'mixed' mixes values");
    expect(execution.error?.value).toContain(".astype(str)");
  });
});

describe("files this reader refuses", () => {
  it("names a list column, and reads the flat columns when asked for them", async () => {
    const bytes = writeParquet(listTable(), {
      compression: "SNAPPY",
      version: "V1",
      dictionary: true,
      rowGroupSize: 100,
    });
    await session.putFile("tagged.parquet", Buffer.from(bytes));
    const refused = await session.execute("pd.read_parquet('/mnt/data/tagged.parquet')", RUN);
    expect(refused.status).toBe("error");
    expect(refused.error?.name).toBe("ParquetError");
    expect(refused.error?.value).toContain("column 'tags' is a list");
    expect(refused.error?.value).toContain("columns=[...]");

    const flat = await run(
      "print(frame_json(pd.read_parquet('/mnt/data/tagged.parquet', columns=['id', 'score'])))",
    );
    expect(JSON.parse(lastLine(flat))).toEqual({
      dtypes: { id: "int64", score: "float64" },
      columns: { id: [1, 2, 3], score: [0.5, 1.5, 2.5] },
    });

    const unknown = await session.execute(
      "pd.read_parquet('/mnt/data/tagged.parquet', columns=['nope'])",
      RUN,
    );
    expect(unknown.error?.value).toContain("no column named 'nope'");
    expect(unknown.error?.value).toContain("'id', 'tags', 'score'");
  });

  it("says a CSV renamed .parquet is not a Parquet file", async () => {
    await session.putFile("sales.parquet", Buffer.from("region,sales\nnorth,120\n"));
    const execution = await session.execute("pd.read_parquet('/mnt/data/sales.parquet')", RUN);
    expect(execution.status).toBe("error");
    expect(execution.error?.name).toBe("ParquetError");
    expect(execution.error?.value).toContain("this is not a Parquet file");
    expect(execution.error?.value).toContain("PAR1");
  });
});
