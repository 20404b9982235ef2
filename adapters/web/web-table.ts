/**
 * A table the code displayed (a pandas DataFrame or Series) as the HTML table the page shows,
 * built from the cells the sandbox sent, never from pandas' own HTML: that is made by Python,
 * so it is the code's to write, not ours to trust. Every header and cell is text pandas printed
 * and is escaped; the markup and its class names are fixed here (the page's CSP allows no
 * inline style). The index levels are row headers, numeric columns are right-aligned, and a
 * row of "…" stands where rows are left out. Pure.
 */
import type { TableData } from "../../src/sandbox/types.ts";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

export function renderTableHtml(table: TableData): string {
  const columns = table.columns.map((_, column) => column);
  const cell = (text: string, column: number, inHeader: boolean) => {
    const isIndex = column < table.indexColumns;
    const tag = inHeader || isIndex ? "th" : "td";
    const scope = inHeader ? ' scope="col"' : isIndex ? ' scope="row"' : "";
    const names = [isIndex ? "index" : "", table.numeric[column] === true ? "num" : ""].filter(Boolean);
    const attributes = names.length > 0 ? `${scope} class="${names.join(" ")}"` : scope;
    return `<${tag}${attributes}>${escapeHtml(text)}</${tag}>`;
  };
  const row = (cells: readonly string[], className?: string) =>
    `<tr${className ? ` class="${className}"` : ""}>${columns.map((column) => cell(cells[column] ?? "", column, false)).join("")}</tr>`;
  // Between the first rows and the last; with no last rows sent it ends the table, which must not look whole.
  const gap = table.totalRows > table.head.length + table.tail.length ? [columns.map(() => "…")] : [];
  const body = [
    ...table.head.map((cells) => row(cells)),
    ...gap.map((cells) => row(cells, "gap")),
    ...table.tail.map((cells) => row(cells)),
  ];
  const header = `<tr>${columns.map((column) => cell(table.columns[column] ?? "", column, true)).join("")}</tr>`;
  // One row a line, so the post's text (as the tests and a copy read it) keeps the rows apart.
  return (
    `<div class="data-table" data-testid="data-table"><table>\n<thead>${header}</thead>\n` +
    `<tbody>\n${body.map((line) => `${line}\n`).join("")}</tbody>\n</table></div>\n`
  );
}
