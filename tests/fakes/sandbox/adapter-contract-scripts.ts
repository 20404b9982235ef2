/**
 * The Python the adapter contract's scripted model sends (tests/contract/adapter-contract.ts),
 * answered as the Docker sandbox answers it: the same displays and results, a real PNG at
 * matplotlib's size for each chart, and the derived CSV computed from the attachment the
 * test uploaded, byte for byte what pandas writes. The code strings are copied exactly: if
 * the contract's code changes, the run here comes back NotScriptedError and the suite fails.
 */
import { formatCsv, parseCsv } from "./csv.ts";
import { type FakeSandbox, pythonError, renderFigure } from "./fake-sandbox.ts";
import { integerFrameDisplay, plotlyFigureDisplay } from "./rich-displays.ts";

export const CONTRACT_PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares')";

export const CONTRACT_SALES =
  "import pandas as pd\ndf = pd.read_csv('/mnt/data/sales.csv')\ntotals = df.groupby('region').sales.sum()\n" +
  "totals.to_csv('/mnt/data/totals.csv')\ntotals.plot.bar()";

export const CONTRACT_PLOTLY =
  "import plotly.express as px\nfig = px.line(x=[1, 2, 3], y=[1, 4, 9], title='squares')\nfig.show()";

export const CONTRACT_FRAME =
  "import pandas as pd\npd.DataFrame({'n': range(10_000), 'square': [i * i for i in range(10_000)]})";

export const CONTRACT_REMEMBER = "secret = 6 * 7";
export const CONTRACT_RECALL = "print(secret)";

/** A module or object the scripts put into the namespace: only its presence matters. */
const PYTHON_OBJECT = Symbol("python object");

export function scriptAdapterContract(sandbox: FakeSandbox): void {
  sandbox.script(CONTRACT_PLOT, async ({ variables }) => {
    variables.set("plt", PYTHON_OBJECT);
    // The cell's last value is the title's Text artist; the open figure is sent when the cell ends.
    return { result: "Text(0.5, 1.0, 'squares')", images: [await renderFigure({ values: [1, 4, 9] })] };
  });

  sandbox.script(CONTRACT_SALES, async ({ code, files, variables }) => {
    if (!files.has("/mnt/data/sales.csv")) {
      const missing = "[Errno 2] No such file or directory: '/mnt/data/sales.csv'";
      return { error: pythonError("FileNotFoundError", missing, code) };
    }
    const table = parseCsv(files.read("/mnt/data/sales.csv").toString("utf8"));
    const region = table.columns.indexOf("region");
    const sales = table.columns.indexOf("sales");
    if (region < 0) return { error: pythonError("KeyError", "'region'", code) };
    if (sales < 0)
      return {
        error: pythonError("AttributeError", "'DataFrameGroupBy' object has no attribute 'sales'", code),
      };
    if (!table.rows.every((row) => /^-?\d+$/.test(row[sales] ?? ""))) {
      const gap = "this script sums whole numbers only; script other sales data yourself";
      return { error: pythonError("NotScriptedError", gap, code) };
    }
    const totals = new Map<string, number>();
    for (const row of table.rows) {
      const key = row[region] ?? "";
      totals.set(key, (totals.get(key) ?? 0) + Number(row[sales]));
    }
    // groupby sorts its keys; an int64 column's sums are written as integers.
    const keys = [...totals.keys()].sort();
    const sums = keys.map((key) => totals.get(key) ?? 0);
    variables.set("pd", PYTHON_OBJECT);
    variables.set("df", table);
    variables.set("totals", totals);
    return {
      files: [
        {
          path: "totals.csv",
          data: formatCsv({
            columns: ["region", "sales"],
            rows: keys.map((key, i) => [key, String(sums[i])]),
          }),
        },
      ],
      // pandas 1.5 names the Axes by its class; the bar chart is the open figure.
      result: "<AxesSubplot: xlabel='region'>",
      images: [await renderFigure({ kind: "bar", values: sums })],
    };
  });

  sandbox.script(CONTRACT_PLOTLY, async ({ variables }) => {
    variables.set("px", PYTHON_OBJECT);
    variables.set("fig", PYTHON_OBJECT);
    return { displays: [await plotlyFigureDisplay({ title: "squares", x: [1, 2, 3], y: [1, 4, 9] })] };
  });

  sandbox.script(CONTRACT_FRAME, ({ variables }) => {
    variables.set("pd", PYTHON_OBJECT);
    const rows = Array.from({ length: 10_000 }, (_, i) => [i, i * i]);
    return { displays: [integerFrameDisplay(["n", "square"], rows)] };
  });

  sandbox.script(CONTRACT_REMEMBER, ({ variables }) => {
    variables.set("secret", 6 * 7);
    return {};
  });

  sandbox.script(CONTRACT_RECALL, ({ code, variables }) =>
    variables.has("secret")
      ? { stdout: `${String(variables.get("secret"))}\n` }
      : { error: pythonError("NameError", "name 'secret' is not defined", code) },
  );
}
