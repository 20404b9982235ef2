import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import type { TableData } from "../../src/sandbox/types.ts";
import { fakeSurface, present } from "../helpers/presenter-fixtures.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("a table on a surface that shows tables", () => {
  /** One numeric column with a 0..n-1 index, sent as the kernel sends it: the first 20 rows and the last 5. */
  function squares(rows: number): TableData {
    const line = (row: number) => [String(row), String(row * row)];
    const long = rows > 25;
    return {
      kind: "DataFrame",
      columns: ["", "square"],
      indexColumns: 1,
      numeric: [false, true],
      head: Array.from({ length: long ? 20 : rows }, (_, row) => line(row)),
      tail: long ? Array.from({ length: 5 }, (_, i) => line(rows - 5 + i)) : [],
      totalRows: rows,
      totalColumns: 1,
      csvMissing: null,
    };
  }
  const csv = (bytes: number) => ({ name: "table-1.csv", data: Buffer.alloc(bytes, "1") });
  const tableEvent = (table: TableData, data: { name: string; data: Buffer } | null): ReplyEvent => ({
    type: "table",
    name: "table-1",
    table,
    html: "<table><script>not ours to show</script></table>",
    csv: data,
  });

  it("hands it every row sent, the note and the CSV, and posts no text table", async () => {
    const { surface, calls } = fakeSurface({ table: true });
    const table = squares(10_000);
    await present(surface, [tableEvent(table, csv(100)), { type: "code", code: "x".repeat(100) }]);
    expect(calls[0]).toEqual({
      kind: "table",
      shown: {
        table,
        note: "[i] 10,000 rows × 1 column: 9,975 rows are not shown; the whole table is attached as table-1.csv.",
        csv: csv(100),
      },
    });
    // The CSV counts among the reply's files, so the next one is numbered as on other platforms.
    expect(calls.slice(1)).toEqual([expect.objectContaining({ kind: "upload", name: "code-2.py" })]);
  });

  it("gives a table it shows whole no note and no CSV", async () => {
    const { surface, calls } = fakeSurface({ table: true });
    await present(surface, [tableEvent(squares(3), csv(10))]);
    expect(calls).toEqual([{ kind: "table", shown: { table: squares(3), note: null, csv: null } }]);
  });

  it("says why the CSV is not attached when it is over the surface's upload limit", async () => {
    const { surface, calls } = fakeSurface({ table: true });
    await present(surface, [tableEvent(squares(100), csv(5_000))]);
    const call = calls[0];
    expect(call?.kind === "table" && call.shown.csv).toBe(null);
    expect(call?.kind === "table" && call.shown.note).toBe(
      "[i] 100 rows × 1 column: 75 rows are not shown; the whole table is not attached: " +
        "it is 4.9 KB as CSV, over the 1000 bytes this chat accepts.",
    );
    expect(calls).toHaveLength(1);
  });
});
