import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import type { ReplySurface, SurfaceLimits } from "../../src/present/surface.ts";
import { fitTable, renderTable, tableNote } from "../../src/present/table-text.ts";
import type { TableData } from "../../src/sandbox/types.ts";
import { TEXT } from "../helpers/presenter-fixtures.ts";

/** A frame of `rows` rows like the kernel sends it: the first 20 and the last 5, with a 0..n-1 index. */
function frame(
  rows: number,
  columns: string[],
  cell = (row: number, column: number) => String(row * (column + 1)),
) {
  const line = (row: number) => [String(row), ...columns.map((_, column) => cell(row, column))];
  const long = rows > 25;
  const table: TableData = {
    kind: "DataFrame",
    columns: ["", ...columns],
    indexColumns: 1,
    numeric: [false, ...columns.map(() => true)],
    head: Array.from({ length: long ? 20 : rows }, (_, row) => line(row)),
    tail: long ? Array.from({ length: 5 }, (_, i) => line(rows - 5 + i)) : [],
    totalRows: rows,
    totalColumns: columns.length,
    csvMissing: null,
  };
  return table;
}

describe("a table as text", () => {
  it("lays a small table out whole, like pandas: index left, numbers right", () => {
    const table = { ...frame(3, ["n", "name"]), numeric: [false, true, false] };
    table.head = [
      ["0", "7", "Oslo"],
      ["1", "12", "Lima"],
      ["2", "100", "Ulaanbaatar"],
    ];
    const shown = fitTable(table, () => true);
    expect(shown?.text).toBe(
      ["     n  name", "0    7  Oslo", "1   12  Lima", "2  100  Ulaanbaatar"].join("\n"),
    );
    expect(tableNote(table, shown, "table-1.csv")).toBeNull();
  });

  it("marks the rows left out between the first and the last", () => {
    const text = renderTable(frame(10_000, ["n"]), { headRows: 2, tailRows: 1, columns: 1 });
    expect(text).toBe(["         n", "0        0", "1        1", "…        …", "9999  9999"].join("\n"));
  });

  it("cuts rows, then columns from the right, to what fits, and says how many are not shown", () => {
    const columns = Array.from({ length: 12 }, (_, i) => `column_${i}`);
    const table = frame(10_000, columns);
    const shown = fitTable(table, (text) => text.length <= 600);
    expect(shown).not.toBeNull();
    if (!shown) return;
    expect(shown.text.length).toBeLessThanOrEqual(600);
    expect(Math.max(...shown.text.split("\n").map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(shown.columns).toBeLessThan(12);
    expect(shown.headRows).toBeLessThan(20);
    const hiddenRows = 10_000 - shown.headRows - shown.tailRows;
    expect(tableNote(table, shown, "table-3.csv")).toBe(
      `10,000 rows × 12 columns: ${hiddenRows.toLocaleString("en-US")} rows and ${12 - shown.columns} columns ` +
        "are not shown; the whole table is attached as table-3.csv.",
    );
  });

  it("says why the whole table is not attached when the sandbox could not make its CSV", () => {
    const table = {
      ...frame(2_000_000, ["n"]),
      csvMissing: "it would be about 15.3 MiB, over the 12 MiB limit",
    };
    const shown = fitTable(table, () => true);
    expect(tableNote(table, shown, null)).toBe(
      "2,000,000 rows × 1 column: 1,999,975 rows are not shown; the whole table is not attached: " +
        "it would be about 15.3 MiB, over the 12 MiB limit.",
    );
  });

  it("shows the header of an empty frame", () => {
    const table = frame(0, ["n", "m"]);
    expect(fitTable(table, () => true)?.text).toBe("  n  m");
  });

  it("cuts a long cell with an ellipsis rather than widening the column", () => {
    const table = { ...frame(1, ["text"]), numeric: [false, false] };
    table.head = [["0", "x".repeat(40)]];
    const shown = fitTable(table, () => true);
    expect(shown?.text.split("\n")[1]).toBe(`0  ${"x".repeat(29)}…`);
  });
});

async function present(table: TableData, csv: Buffer | null, limits: Partial<SurfaceLimits> = {}) {
  const posts: string[] = [];
  const uploads: Array<{ name: string; data: string }> = [];
  const surface: ReplySurface = {
    limits: { messageChars: 2_000, codeChars: 1_500, outputChars: 1_400, uploadBytes: 10 * 1024, ...limits },
    text: TEXT,
    post: async (text) => {
      posts.push(text);
      return null;
    },
    upload: async (name, data) => void uploads.push({ name, data: data.toString() }),
  };
  const presenter = new ReplyPresenter(surface, { progressIntervalMs: 0, logger: silentLogger() });
  await presenter.sink({
    type: "table",
    name: "table-1",
    table,
    html: "<table></table>",
    csv: csv ? { name: "table-1.csv", data: csv } : null,
  });
  await presenter.flushed();
  return { posts, uploads };
}

describe("the presenter's table", () => {
  it("posts a cut table with its note in one message and attaches the whole table as CSV", async () => {
    const { posts, uploads } = await present(frame(10_000, ["n"]), Buffer.from("n\n0\n"));
    expect(posts).toHaveLength(1);
    const [post = ""] = posts;
    expect(post.length).toBeLessThanOrEqual(2_000);
    expect(post).toMatch(/^```\n\s+n\n0\s+0\n/);
    expect(post).toContain("\n9999  9999\n```\n");
    expect(post).toMatch(
      /\[i\] 10,000 rows × 1 column: 9,975 rows are not shown; the whole table is attached as table-1\.csv\.$/,
    );
    expect(uploads).toEqual([{ name: "table-1.csv", data: "n\n0\n" }]);
  });

  it("shows a table that fits whole without a note or a CSV", async () => {
    const { posts, uploads } = await present(frame(3, ["n"]), Buffer.from("n\n0\n1\n2\n"));
    expect(posts).toEqual(["```\n   n\n0  0\n1  1\n2  2\n```"]);
    expect(uploads).toEqual([]);
  });

  it("cuts to the platform's room for output", async () => {
    const { posts } = await present(frame(10_000, ["n"]), Buffer.from("n\n"), { outputChars: 120 });
    const block = posts[0]?.split("\n```\n")[0] ?? "";
    expect(`${block}\n\`\`\``.length).toBeLessThanOrEqual(120);
  });

  it("names a CSV larger than the chat accepts instead of attaching it", async () => {
    const { posts, uploads } = await present(frame(10_000, ["n"]), Buffer.alloc(20 * 1024, 48));
    expect(posts[0]).toContain(
      "the whole table is not attached: it is 20.0 KB as CSV, over the 10.0 KB this chat accepts.",
    );
    expect(uploads).toEqual([]);
  });
});
