/**
 * A table as monospaced text for a chat message, laid out the way pandas prints a frame: the
 * index on the left, numbers right-aligned, two spaces between columns, "…" where rows are
 * left out between the first and the last. It is cut to what fits: first the rows (down to
 * one), then the columns from the right, and the caller is told how much was shown, so the
 * note can say what is missing. Pure.
 */
import type { TableData } from "../sandbox/types.ts";

/** Lines wider than this wrap in a thread on Slack and Discord, and a wrapped table cannot be read. */
export const TABLE_WIDTH = 80;
/** A longer cell is cut, with "…", so one long text does not push every other column out. */
const CELL_CHARS = 30;
const GAP = "  ";

export interface TableText {
  text: string;
  /** Rows shown: the first `headRows` and the last `tailRows`. */
  headRows: number;
  tailRows: number;
  /** Columns shown, the index not counted. */
  columns: number;
}

/**
 * The largest cut of `table` whose text `fits` accepts (e.g. "its code block fits in a
 * message"), or null when not even one row of the first column does.
 */
export function fitTable(
  table: TableData,
  fits: (text: string) => boolean,
  width = TABLE_WIDTH,
): TableText | null {
  let columns = widestColumnCount(table, width);
  for (; columns >= 0; columns -= 1) {
    if (columns === 0 && table.columns.length > table.indexColumns) break;
    for (const tailRows of table.tail.length > 0 ? [table.tail.length, 0] : [0]) {
      for (let headRows = table.head.length; headRows >= Math.min(1, table.head.length); headRows -= 1) {
        const text = renderTable(table, { headRows, tailRows, columns });
        if (fits(text)) return { text, headRows, tailRows, columns };
      }
    }
  }
  return null;
}

/** How many data columns fit in `width` characters beside the index (at least one, if there is one). */
function widestColumnCount(table: TableData, width: number): number {
  const cells = (column: number) => [
    table.columns[column] ?? "",
    ...[...table.head, ...table.tail].map((row) => row[column] ?? ""),
  ];
  let used = -GAP.length;
  for (let column = 0; column < table.indexColumns; column += 1)
    used += columnWidth(cells(column)) + GAP.length;
  let fitted = 0;
  for (let column = table.indexColumns; column < table.columns.length; column += 1) {
    used += columnWidth(cells(column)) + GAP.length;
    if (used > width && fitted > 0) break;
    fitted += 1;
  }
  return fitted;
}

export function renderTable(
  table: TableData,
  cut: { headRows: number; tailRows: number; columns: number },
): string {
  const shown = [...Array(table.indexColumns + cut.columns).keys()];
  const head = table.head.slice(0, cut.headRows);
  const tail = cut.tailRows > 0 ? table.tail.slice(-cut.tailRows) : [];
  const hidden = table.totalRows - head.length - tail.length;
  const gap = hidden > 0 && tail.length > 0 ? [shown.map(() => "…")] : [];
  const body = [...head, ...gap, ...tail];
  const header = shown.map((column) => table.columns[column] ?? "");
  const columns = shown.map((column, position) => {
    const cells = [header[position] ?? "", ...body.map((row) => row[column] ?? "")].map(clip);
    const width = columnWidth(cells);
    const right = table.numeric[column] === true;
    return cells.map((cell) => (right ? cell.padStart(width) : cell.padEnd(width)));
  });
  const lines = [header, ...body].map((_, line) => columns.map((cells) => cells[line] ?? "").join(GAP));
  return lines.map((line) => line.trimEnd()).join("\n");
}

function clip(cell: string): string {
  return cell.length <= CELL_CHARS ? cell : `${cell.slice(0, CELL_CHARS - 1)}…`;
}

function columnWidth(cells: string[]): number {
  return Math.max(0, ...cells.map((cell) => clip(cell).length));
}

/** What a person reads under a table: its size, what is not shown, and where the rest is. */
export function tableNote(table: TableData, shown: TableText | null, csvName: string | null): string | null {
  const rowsShown = shown ? shown.headRows + shown.tailRows : 0;
  const columnsShown = shown ? shown.columns : 0;
  const hiddenRows = Math.max(0, table.totalRows - rowsShown);
  const hiddenColumns = Math.max(0, table.totalColumns - columnsShown);
  if (hiddenRows === 0 && hiddenColumns === 0) return null;
  const missing = [
    hiddenRows > 0 ? plural(hiddenRows, "row") : null,
    hiddenColumns > 0 ? plural(hiddenColumns, "column") : null,
  ].filter((part): part is string => part !== null);
  const size = `${plural(table.totalRows, "row")} × ${plural(table.totalColumns, "column")}`;
  const where = csvName
    ? `the whole table is attached as ${csvName}.`
    : table.csvMissing
      ? `the whole table is not attached: ${table.csvMissing}.`
      : "";
  return `${size}: ${missing.join(" and ")} ${hiddenRows + hiddenColumns === 1 ? "is" : "are"} not shown${where ? `; ${where}` : "."}`;
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
}
