import { describe, expect, it } from "vitest";
import type { TableData } from "../../src/sandbox/types.ts";
import { renderTableHtml } from "./web-table.ts";

const base: TableData = {
  kind: "DataFrame",
  columns: ["", "city", "people"],
  indexColumns: 1,
  numeric: [false, false, true],
  head: [
    ["0", "Oslo", "709037"],
    ["1", "Lima", "10151200"],
  ],
  tail: [],
  totalRows: 2,
  totalColumns: 2,
  csvMissing: null,
};

/** The rows of the table, each as its cells' markup. */
const rows = (html: string) => html.match(/<tr[\s>].*?<\/tr>/g) ?? [];

describe("a table as HTML", () => {
  it("makes the index the row headers and right-aligns numbers, header included", () => {
    expect(rows(renderTableHtml(base))).toEqual([
      '<tr><th scope="col" class="index"></th><th scope="col">city</th><th scope="col" class="num">people</th></tr>',
      '<tr><th scope="row" class="index">0</th><td>Oslo</td><td class="num">709037</td></tr>',
      '<tr><th scope="row" class="index">1</th><td>Lima</td><td class="num">10151200</td></tr>',
    ]);
  });

  it("puts a row of … between the first rows and the last, or at the end when the last are not sent", () => {
    const cut = { ...base, tail: [["9", "Baku", "2300500"]], totalRows: 10 };
    const lines = rows(renderTableHtml(cut));
    expect(lines).toHaveLength(5);
    expect(lines[3]).toBe(
      '<tr class="gap"><th scope="row" class="index">…</th><td>…</td><td class="num">…</td></tr>',
    );
    expect(lines[4]).toContain(">Baku<");
    expect(rows(renderTableHtml({ ...base, totalRows: 3 })).at(-1)).toContain('class="gap"');
    expect(renderTableHtml(base)).not.toContain("gap");
  });

  it("shows markup in a header or a cell as text", () => {
    const html = renderTableHtml({
      ...base,
      columns: ["<b>i</b>", "<img src=x onerror=alert(1)>", "'\"&"],
      head: [["0", "<script>alert(1)</script>", "&amp;"]],
      totalRows: 1,
    });
    expect(html).toContain('<th scope="col" class="index">&lt;b&gt;i&lt;/b&gt;</th>');
    expect(html).toContain("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>");
    expect(html).toContain("&#39;&quot;&amp;");
    expect(html).toContain(">&amp;amp;<");
    expect(html).not.toMatch(/<(script|b|img)[\s>]/);
  });

  it("shows an empty frame's header", () => {
    const html = renderTableHtml({ ...base, head: [], totalRows: 0 });
    expect(rows(html)).toHaveLength(1);
    expect(html).toContain("<tbody>\n</tbody>");
  });
});
