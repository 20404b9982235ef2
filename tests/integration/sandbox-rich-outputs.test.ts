/**
 * What the kernel sends for the outputs people expect from a notebook: a plotly figure as a
 * picture and a self-contained interactive page, figures of both libraries in order, and a
 * pandas table as rows the chat can show plus the whole of it as CSV. Under the test limits
 * (tests/helpers/sandbox.ts) except memory: a 3D figure's software WebGL took the container
 * to 461 of TEST_LIMITS' 496 MiB here (cgroup memory.max_usage_in_bytes), too close for a
 * loaded CI machine, where the browser was once killed mid-picture. 640 MiB is still well
 * under the 1,024 MiB default.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import { createTestSandbox, type TestSandbox } from "../helpers/sandbox.ts";

let sandbox: TestSandbox;
let session: ContainerSession;
/** A run's first plotly figure starts the browser that draws it: more than TEST_LIMITS' 4 s may pass. */
const FIGURE_RUN = { timeoutMs: 30_000 };

beforeAll(async () => {
  sandbox = await createTestSandbox({ memoryMb: 640 });
  session = await sandbox.manager.acquire("rich-outputs");
  await session.open();
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

describe("plotly figures", () => {
  it("come back from fig.show() as an 800x500 PNG and a page with plotly.js inlined", async () => {
    const run = await session.execute(
      "import plotly.express as px\nfig = px.line(x=[1, 2, 3], y=[1, 4, 9], title='squares')\nfig.show()",
      FIGURE_RUN,
    );
    expect(run).toMatchObject({ status: "ok", notices: [] });
    expect(run.displays).toHaveLength(1);
    const [figure] = run.displays;
    expect(figure?.text).toBe("<plotly figure: squares>");
    expect(await sharp(figure?.png).metadata()).toMatchObject({ format: "png", width: 800, height: 500 });
    const page = figure?.page?.toString() ?? "";
    const version = await session.execute(
      "import plotly.offline\nprint(plotly.offline.get_plotlyjs_version())",
    );
    expect(page).toContain(`plotly.js v${version.stdout.trim()}`);
    expect(page).toContain('{"text":"squares"}');
    expect(page).not.toMatch(/<script[^>]*\ssrc=/);
    // Debian's plotly.js, minified when the image is built: about 3.8 MB rather than 8.7.
    expect(figure?.page?.length).toBeLessThan(5 * 1024 * 1024);
  });

  it("come back when left as a cell's value, at the size the figure asks for", async () => {
    const run = await session.execute(
      "import plotly.graph_objects as go\ngo.Figure(go.Bar(x=['a', 'b'], y=[3, 5]), layout=dict(width=400, height=300))",
      FIGURE_RUN,
    );
    expect(run.status).toBe("ok");
    expect(run.images).toHaveLength(1);
    expect(await sharp(run.images[0]).metadata()).toMatchObject({ width: 400, height: 300 });
    expect(run.displays[0]?.page?.toString()).toContain("Plotly.newPlot(");
  });

  it("keep their place among matplotlib figures, and the browser ends with the run", async () => {
    const run = await session.execute(
      "import matplotlib.pyplot as plt\nimport plotly.express as px\n" +
        "plt.plot([1, 2]); plt.show()\n" +
        "px.bar(x=['a', 'b'], y=[1, 2], title='middle').show()\n" +
        "plt.figure(figsize=(3, 2)); plt.plot([2, 1]); plt.show()\n" +
        "px.scatter(x=[1, 2], y=[2, 1], title='last').show()",
      FIGURE_RUN,
    );
    expect(run).toMatchObject({ status: "ok", notices: [] });
    const kinds = run.displays.map((d) => `${d.text}${d.page ? " +page" : ""}`);
    expect(kinds).toEqual([
      "<Figure size 800x500>",
      "<plotly figure: middle> +page",
      "<Figure size 300x200>",
      "<plotly figure: last> +page",
    ]);
    expect(run.images).toHaveLength(4);
    // Nothing the kernel started for the pictures is left for the supervisor to stop.
    const left = await session.execute(
      "import os\nprint(sum(1 for p in os.listdir('/proc') if p.isdigit() and " +
        "'chrom' in open('/proc/%s/cmdline' % p, 'rb').read().decode(errors='replace')))",
    );
    expect(left.stdout).toBe("0\n");
  });

  it("draw 3D (WebGL) figures too", async () => {
    const run = await session.execute(
      "import plotly.graph_objects as go\nimport numpy as np\n" +
        "go.Figure(go.Surface(z=np.outer(np.arange(10), np.arange(10)))).show()",
      FIGURE_RUN,
    );
    expect(run).toMatchObject({ status: "ok", notices: [] });
    const { data, info } = await sharp(run.images[0]).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([800, 500]);
    // A 3D scene that failed to draw is white and grey; the surface is in the colour scale's
    // strong colours. The colour bar, on the right, is not counted.
    let coloured = 0;
    for (let y = 0; y < info.height; y += 1) {
      for (let x = 0; x < 680; x += 1) {
        const at = (y * info.width + x) * info.channels;
        const [r = 0, g = 0, b = 0] = [data[at], data[at + 1], data[at + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 100) coloured += 1;
      }
    }
    expect(coloured).toBeGreaterThan(2_000);
  });

  it("make user code's own fig.write_html() self-contained as well", async () => {
    const run = await session.execute(
      "import plotly.express as px\npx.line(x=[1, 2], y=[2, 1]).write_html('/mnt/data/mine.html')",
    );
    expect(run.files.map((f) => f.path)).toEqual(["mine.html"]);
    const page = (await session.getFile("mine.html")).toString();
    expect(page).toMatch(/plotly\.js v\d/);
    expect(page).not.toMatch(/<script[^>]*\ssrc=/);
  });
});

describe("pandas tables", () => {
  it("send the first and last rows as pandas prints them, the whole size, and all of it as CSV", async () => {
    const run = await session.execute(
      "import pandas as pd\ndf = pd.DataFrame({'n': range(10_000), 'half': [i / 2 for i in range(10_000)]})\ndf",
    );
    const result = run.displays.find((d) => d.isResult);
    expect(result?.table).toMatchObject({
      kind: "DataFrame",
      columns: ["", "n", "half"],
      indexColumns: 1,
      numeric: [false, true, true],
      totalRows: 10_000,
      totalColumns: 2,
      csvMissing: null,
    });
    expect(result?.table?.head).toHaveLength(20);
    expect(result?.table?.head[1]).toEqual(["1", "1", "0.5"]);
    expect(result?.table?.tail.at(-1)).toEqual(["9999", "9999", "4999.5"]);
    const csv = result?.csv?.toString().trimEnd().split("\n") ?? [];
    expect(csv).toHaveLength(10_001);
    expect([csv[0], csv[1], csv.at(-1)]).toEqual(["n,half", "0,0.0", "9999,4999.5"]);
    // The model still reads pandas' own text, and a web page its HTML.
    expect(result?.text).toContain("[10000 rows x 2 columns]");
    expect(result?.html).toContain("<table");
  });

  it("send a Series with its index, also in the CSV", async () => {
    const run = await session.execute(
      "import pandas as pd\npd.Series(['a', 'b', 'a'], name='letter').value_counts().rename_axis('letter')",
    );
    const result = run.displays.find((d) => d.isResult);
    expect(result?.table).toMatchObject({ kind: "Series", indexColumns: 1, totalRows: 2, totalColumns: 1 });
    expect(result?.table?.head[0]?.slice(0, 2)).toEqual(["a", "2"]);
    expect(result?.csv?.toString().split("\n")[1]).toBe("a,2");
  });

  it("say why a table too large for CSV comes without it", async () => {
    const run = await session.execute("import pandas as pd\npd.DataFrame({'s': ['x' * 30] * 500_000})");
    const table = run.displays.find((d) => d.isResult);
    expect(table?.csv).toBeUndefined();
    expect(table?.table?.csvMissing).toMatch(/^it would be about 1\d\.\d MiB, over the 12 MiB limit$/);
    expect(table?.table?.totalRows).toBe(500_000);
  });

  it("are not taken from a dict user code publishes as one", async () => {
    const run = await session.execute(
      "from IPython.display import publish_display_data\n" +
        "publish_display_data({'text/plain': 'forged', 'application/vnd.cib.table+json': {'kind': 'DataFrame'}})",
    );
    expect(run.status).toBe("ok");
    expect(run.displays).toEqual([{ isResult: false, text: "forged" }]);
    expect((await session.execute("print('still here')")).stdout).toBe("still here\n");
  });
});
