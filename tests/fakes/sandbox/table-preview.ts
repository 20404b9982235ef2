/**
 * The fake's answer to the one piece of Python the core sends by itself: the table preview
 * of src/bot/file-previews.ts. CSV and TSV files get the preview pandas would print (row
 * count, columns, and the first five rows laid out like `DataFrame.to_string`); Excel files
 * get none, because the fake cannot read them, and the core then shows no preview, as it
 * does when pandas fails.
 */
import { parseCsv, type Table } from "./csv.ts";
import type { CodeMatcher, Responder } from "./scripts.ts";

/** The script body, then `__cib_preview([...paths])` and `del __cib_preview`, as describeFiles sends it. */
export const TABLE_PREVIEW_CODE: CodeMatcher =
  /^\s*def __cib_preview\(paths\):\n[\s\S]*\n__cib_preview\((\[.*\])\)\ndel __cib_preview\s*$/;

const PREVIEW_ROWS = 5;

export const tablePreview: Responder = ({ match, files }) => {
  const paths: unknown = JSON.parse(match?.[1] ?? "[]");
  const out = new Map<string, string>();
  for (const path of Array.isArray(paths) ? paths : []) {
    if (typeof path !== "string" || !/\.(csv|tsv)$/i.test(path)) continue;
    if (!files.has(path)) {
      out.set(path, `(could not preview: FileNotFoundError: [Errno 2] No such file or directory: '${path}')`);
      continue;
    }
    out.set(path, previewCsv(files.read(path).toString("utf8")));
  }
  return { stdout: `${pythonJson(out)}\n` };
};

function previewCsv(text: string): string {
  const table = parseCsv(text);
  if (table.columns.length === 0) return "(could not preview: EmptyDataError: No columns to parse from file)";
  const lines = text.split("\n");
  const lineCount = lines.at(-1) === "" ? lines.length - 1 : lines.length;
  const rows = Math.max(lineCount - 1, 0);
  const head = { columns: table.columns, rows: table.rows.slice(0, PREVIEW_ROWS) };
  return `${rows} rows x ${table.columns.length} columns: ${table.columns.join(", ")}\nfirst rows:\n${frameText(head)}`;
}

/**
 * `DataFrame.to_string()` for a small frame: a left-aligned index, then columns joined by one
 * space, each right-aligned to its widest cell; values carry pandas' leading space, and the
 * headers of numeric columns do too. Floats share one number of decimals per column.
 */
function frameText(table: Table): string {
  const index = table.rows.map((_, i) => String(i));
  const indexWidth = Math.max(0, ...index.map((label) => label.length));
  const columns = table.columns.map((header, c) => {
    const raw = table.rows.map((row) => row[c] ?? "");
    const numeric = raw.every((v) => v === "" || Number.isFinite(Number(v)));
    const integers = numeric && raw.every((v) => /^-?\d+$/.test(v));
    let cells: string[];
    if (integers) cells = raw.map((v) => signed(v));
    else if (numeric) {
      const decimals = Math.max(1, ...raw.map((v) => v.split(".")[1]?.length ?? 0));
      cells = raw.map((v) => (v === "" ? " NaN" : signed(Number(v).toFixed(decimals))));
    } else cells = raw.map((v) => ` ${v === "" ? "NaN" : v}`);
    const title = numeric ? ` ${header}` : header;
    const width = Math.max(title.length, ...cells.map((cell) => cell.length));
    return { title: title.padStart(width), cells: cells.map((cell) => cell.padStart(width)) };
  });
  const header = [" ".repeat(indexWidth), ...columns.map((column) => column.title)].join(" ");
  const body = index.map((label, r) =>
    [label.padEnd(indexWidth), ...columns.map((column) => column.cells[r] ?? "")].join(" "),
  );
  return [header, ...body].join("\n");
}

function signed(number: string): string {
  return number.startsWith("-") ? number : ` ${number}`;
}

/** `json.dumps` of a str -> str dict: ", " and ": " separators, non-ASCII escaped. */
function pythonJson(entries: Map<string, string>): string {
  const quote = (text: string) =>
    JSON.stringify(text).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  return `{${[...entries].map(([key, value]) => `${quote(key)}: ${quote(value)}`).join(", ")}}`;
}
