import { describe, expect, it } from "vitest";
import { toolResultText } from "../../src/agent/tool-result-text.ts";
import { deliverExecution, htmlIsTheContent } from "../../src/present/deliver-execution.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import { FakeSandbox, renderFigure } from "../fakes/sandbox/fake-sandbox.ts";
import { integerFrameDisplay, plotlyFigureDisplay } from "../fakes/sandbox/rich-displays.ts";

const CODE = "mixed figures and a table";

async function run() {
  const sandbox = new FakeSandbox();
  const plotly = await plotlyFigureDisplay({ title: "squares", x: [1, 2, 3], y: [1, 4, 9] });
  const frame = integerFrameDisplay(
    ["n"],
    Array.from({ length: 100 }, (_, i) => [i]),
  );
  sandbox.script(CODE, async () => ({
    displays: [
      { isResult: false, text: "<Figure size 800x500>", png: await renderFigure({ values: [1, 2] }) },
      plotly,
      { isResult: false, text: "<Figure size 800x500>", png: await renderFigure({ values: [2, 1] }) },
      frame,
    ],
  }));
  const session = await sandbox.acquire("conversation");
  const execution = await session.execute(CODE);
  const events: ReplyEvent[] = [];
  const delivered = await deliverExecution(execution, session, (event) => void events.push(event), {
    maxFileBytes: 1024 * 1024,
    imageCounter: { next: 3 },
    tableCounter: { next: 2 },
  });
  return { execution, events, delivered, plotly, frame };
}

describe("a run's figures and tables, delivered", () => {
  it("come back in the order the code made them, a figure's page right after its picture", async () => {
    const { events, plotly, frame } = await run();
    const shown = events.map((event) =>
      event.type === "image" || event.type === "file" || event.type === "table"
        ? `${event.type} ${event.name}`
        : event.type,
    );
    expect(shown).toEqual([
      "code-result",
      "image figure-3.png",
      "image figure-4.png",
      "file figure-4.html",
      "image figure-5.png",
      "table table-2",
    ]);
    const page = events.find((event) => event.type === "file");
    expect(page).toMatchObject({ mime: "text/html", figure: "figure-4.png", data: plotly.page });
    const table = events.find((event) => event.type === "table");
    expect(table).toMatchObject({
      table: frame.table,
      html: frame.html,
      csv: { name: "table-2.csv", data: frame.csv },
    });
  });

  it("does not repeat a table result as text in the run's output", async () => {
    const { events } = await run();
    expect(events[0]).toMatchObject({ type: "code-result", run: { result: null } });
  });

  it("tells the model, briefly, what the person was shown and sent", async () => {
    const { execution, delivered } = await run();
    const text = toolResultText(execution, delivered);
    expect(text).toContain("images shown to the user: 3 (800x500, 800x500, 800x500)");
    expect(text).toContain(
      "interactive figures sent to the user as HTML files (open offline): figure-4.html",
    );
    expect(text).toContain(
      "table shown to the user: 100 rows x 1 columns (the first and last rows); where the chat cannot " +
        "show all of it, the whole table is sent as table-2.csv",
    );
    // The model still reads the table's values, as pandas prints them.
    expect(text).toMatch(/result:\n\s+n\n0\s+0/);
  });
});

describe("HTML that is all a display has", () => {
  it("is sent as a page, not dropped, while HTML beside a real text view is not", async () => {
    const sandbox = new FakeSandbox();
    const code = "IPython.display.HTML and an estimator";
    sandbox.script(code, () => ({
      displays: [
        { isResult: false, text: "<IPython.core.display.HTML object>", html: "<b>bold</b>" },
        { isResult: true, text: "LinearRegression()", html: "<div>diagram</div>" },
      ],
    }));
    const session = await sandbox.acquire("html");
    const events: ReplyEvent[] = [];
    const delivered = await deliverExecution(
      await session.execute(code),
      session,
      (e) => void events.push(e),
      {
        maxFileBytes: 1024 * 1024,
        imageCounter: { next: 1 },
      },
    );
    const files = events.filter((event) => event.type === "file");
    expect(files).toEqual([
      { type: "file", name: "figure-1.html", data: Buffer.from("<b>bold</b>"), mime: "text/html" },
    ]);
    expect(delivered.pages).toEqual([{ name: "figure-1.html", size: 11 }]);
  });

  it("is told by the text view naming only the object's type", () => {
    expect(
      htmlIsTheContent({
        isResult: true,
        text: "<pandas.io.formats.style.Styler at 0x7f3a2c>",
        html: "<table/>",
      }),
    ).toBe(true);
    expect(htmlIsTheContent({ isResult: false, html: "<p>x</p>" })).toBe(true);
    expect(htmlIsTheContent({ isResult: true, text: "   a\n0  1", html: "<table/>" })).toBe(false);
    expect(htmlIsTheContent({ isResult: true, text: "<IPython.core.display.HTML object>" })).toBe(false);
  });
});
