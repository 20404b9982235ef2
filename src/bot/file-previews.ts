/**
 * Column names and first rows of the tables in /mnt/data, for the system prompt, read by
 * pandas inside the sandbox (the bot never parses user files itself). The script's output
 * is untrusted text: parsed defensively, capped, and only ever shown to the model.
 */
import type { FileSummary } from "../agent/system-prompt.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import type { ExecuteOptions } from "../sandbox/types.ts";

const TABLE = /\.(csv|tsv|xlsx|xlsm|xls|parquet|pq)$/i;
const MAX_PREVIEWED = 5;
const MAX_PREVIEW_CHARS = 1_500;

const SCRIPT = `
def __cib_preview(paths):
    import json
    import pandas as pd
    out = {}
    with pd.option_context("display.width", 120, "display.max_columns", 20, "display.max_colwidth", 30):
        for path in paths:
            try:
                if path.lower().endswith((".csv", ".tsv")):
                    frame = pd.read_csv(path, nrows=5, sep=None, engine="python")
                    with open(path, "rb") as handle:
                        rows = max(sum(1 for _ in handle) - 1, 0)
                    out[path] = "%d rows x %d columns: %s\\nfirst rows:\\n%s" % (
                        rows, len(frame.columns), ", ".join(map(str, frame.columns)), frame.to_string())
                elif path.lower().endswith((".parquet", ".pq")):
                    # The footer says rows and columns at once; the first rows need the whole file read
                    # (the sandbox's own reader, kernel/cib_parquet), so only for files small enough.
                    import os, cib_parquet
                    summary = cib_parquet.describe_parquet(path)
                    text = "%d rows x %d columns: %s" % (
                        summary["rows"], len(summary["columns"]), ", ".join(summary["columns"]))
                    if os.path.getsize(path) <= 32 * 1024 * 1024:
                        try:
                            text += "\\nfirst rows:\\n" + pd.read_parquet(path).head(5).to_string()
                        except Exception as error:
                            text += "\\n(first rows not shown: %s)" % error
                    out[path] = text
                else:
                    sheets = pd.read_excel(path, sheet_name=None, nrows=5)
                    parts = []
                    for name, frame in list(sheets.items())[:5]:
                        parts.append("sheet %r: columns: %s\\n%s" % (name, ", ".join(map(str, frame.columns)), frame.to_string()))
                    out[path] = "\\n".join(parts)
            except Exception as error:
                out[path] = "(could not preview: %s: %s)" % (type(error).__name__, error)
    print(json.dumps(out))
`;

/** `run` is the request's: its owner's turn in the sandbox's queue, its stages, its cancel. */
export async function describeFiles(
  session: SandboxSession,
  run: Pick<ExecuteOptions, "owner" | "onStage" | "signal"> = {},
): Promise<FileSummary[]> {
  const files = await session.listFiles();
  const summaries: FileSummary[] = files
    .slice(0, 50)
    .map((f) => ({ path: f.path, size: f.size, mime: f.mime }));
  const tables = summaries.filter((f) => TABLE.test(f.path)).slice(0, MAX_PREVIEWED);
  if (tables.length === 0) return summaries;
  const paths = JSON.stringify(tables.map((t) => `/mnt/data/${t.path}`));
  const execution = await session.execute(`${SCRIPT}\n__cib_preview(${paths})\ndel __cib_preview`, {
    ...run,
    timeoutMs: 20_000,
  });
  let previews: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(execution.stdout.trim().split("\n").pop() ?? "{}");
    if (typeof parsed === "object" && parsed !== null) previews = parsed as Record<string, unknown>;
  } catch {
    return summaries;
  }
  for (const table of tables) {
    const preview = previews[`/mnt/data/${table.path}`];
    if (typeof preview === "string") table.preview = preview.slice(0, MAX_PREVIEW_CHARS);
  }
  return summaries;
}
