/**
 * The displays the Docker kernel sends for a plotly figure and a pandas DataFrame, made up
 * in TypeScript for scripted runs: a plotly figure's picture (a real PNG at the kernel's
 * default 800x500) and a small self-contained page shaped like plotly's own (the real one
 * inlines 3.8 MB of plotly.js); a frame of whole numbers as the table the kernel sends (the
 * first 20 and last 5 rows, as pandas prints them), its text as pandas' repr, and its CSV as
 * `to_csv(index=False)` writes it, since a default 0..n-1 index is left out.
 */
import type { DisplayOutput, TableData } from "../../../src/sandbox/types.ts";
import { renderFigure } from "./figures.ts";

const HEAD_ROWS = 20;
const TAIL_ROWS = 5;
/** pandas' repr shows this many rows at each end of a frame longer than 60 rows. */
const REPR_ENDS = 5;

export interface PlotlyFigureOptions {
  title: string;
  x: readonly number[];
  y: readonly number[];
  kind?: "line" | "bar";
}

/** What `fig.show()` of a simple plotly figure sends from the Docker kernel. */
export async function plotlyFigureDisplay(figure: PlotlyFigureOptions): Promise<DisplayOutput> {
  const trace = {
    type: figure.kind === "bar" ? "bar" : "scatter",
    mode: figure.kind === "bar" ? undefined : "lines",
    x: figure.x,
    y: figure.y,
  };
  const json = JSON.stringify([trace]);
  const layout = JSON.stringify({ title: { text: figure.title } });
  const page =
    '<html>\n<head><style>html, body { margin: 0; }</style><meta charset="utf-8" /></head>\n<body>\n' +
    '    <div>                        <script type="text/javascript">/**\n* plotly.js v2.6.3\n' +
    "* (the fake sandbox's stand-in: the Docker kernel inlines all of it)\n*/\n" +
    "window.Plotly = { newPlot: function () {} };</script>\n" +
    '                <div id="f1" class="plotly-graph-div" style="height:100vh; width:100%;"></div>' +
    `<script type="text/javascript">Plotly.newPlot("f1", ${json}, ${layout}, {"responsive": true});</script>\n` +
    "    </div>\n</body>\n</html>";
  return {
    isResult: false,
    text: `<plotly figure: ${figure.title}>`,
    png: await renderFigure({ values: figure.y, kind: figure.kind ?? "line" }),
    page: Buffer.from(page),
  };
}

/** A DataFrame of whole numbers with a default index, left as a cell's value. */
export function integerFrameDisplay(columns: readonly string[], rows: readonly number[][]): DisplayOutput {
  const cells = rows.map((row) => row.map(String));
  const long = rows.length > HEAD_ROWS + TAIL_ROWS;
  const index = (from: number, to: number) =>
    cells.slice(from, to).map((row, i) => [String(from + i), ...row]);
  const table: TableData = {
    kind: "DataFrame",
    columns: ["", ...columns],
    indexColumns: 1,
    numeric: [false, ...columns.map(() => true)],
    head: long ? index(0, HEAD_ROWS) : index(0, rows.length),
    tail: long ? index(rows.length - TAIL_ROWS, rows.length) : [],
    totalRows: rows.length,
    totalColumns: columns.length,
    csvMissing: null,
  };
  const csv = [columns.join(","), ...cells.map((row) => row.join(","))].join("\n");
  return {
    isResult: true,
    text: frameRepr(columns, cells),
    html: frameHtml(columns, cells),
    table,
    csv: Buffer.from(`${csv}\n`),
  };
}

/** `repr(df)`: right-aligned columns, and past 60 rows the first and last five with "..." between. */
function frameRepr(columns: readonly string[], cells: string[][]): string {
  const cut = cells.length > 60;
  const shown = cut
    ? [
        ...cells.slice(0, REPR_ENDS).map((row, i) => [String(i), ...row]),
        ["...", ...columns.map(() => "...")],
        ...cells.slice(-REPR_ENDS).map((row, i) => [String(cells.length - REPR_ENDS + i), ...row]),
      ]
    : cells.map((row, i) => [String(i), ...row]);
  const header = ["", ...columns];
  const widths = header.map((title, c) =>
    Math.max(title.length, ...shown.map((row) => (row[c] ?? "").length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart((widths[c] ?? 0) + 1)))
      .join(" ");
  const size = cut ? `\n\n[${cells.length} rows x ${columns.length} columns]` : "";
  return [line(header), ...shown.map(line)].join("\n") + size;
}

function frameHtml(columns: readonly string[], cells: string[][]): string {
  const row = (index: number, values: string[]) =>
    `<tr><th>${index}</th>${values.map((value) => `<td>${value}</td>`).join("")}</tr>`;
  const head = cells.slice(0, REPR_ENDS).map((values, i) => row(i, values));
  return (
    '<table border="1" class="dataframe"><thead><tr><th></th>' +
    `${columns.map((name) => `<th>${name}</th>`).join("")}</tr></thead><tbody>${head.join("")}</tbody></table>` +
    `<p>${cells.length} rows × ${columns.length} columns</p>`
  );
}
