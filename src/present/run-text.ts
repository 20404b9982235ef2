/** The words a person reads about one code run: its output in one piece, and a status line. */
import type { CodeRunSummary } from "./reply-events.ts";
import type { SurfaceText } from "./surface.ts";

/** stdout, the last expression's value, stderr and the error, in that order. */
export function runOutputText(run: CodeRunSummary): string {
  const parts: string[] = [];
  if (run.stdout) parts.push(run.stdout.trimEnd());
  if (run.result) parts.push(run.result);
  if (run.stderr) parts.push(run.stderr.trimEnd());
  if (run.error?.traceback) parts.push(run.error.traceback.trimEnd());
  else if (run.error) parts.push(`${run.error.name}: ${run.error.value}`);
  return parts.join("\n");
}

export function runStatusLine(run: CodeRunSummary, text: SurfaceText): string {
  const { icons } = text;
  const seconds = `${(run.durationMs / 1000).toFixed(run.durationMs < 10_000 ? 2 : 0)} s`;
  switch (run.status) {
    case "ok":
      return `${icons.ok} Ran in ${seconds}.`;
    case "error":
      return `${icons.error} ${text.literal(run.error?.name ?? "Error")} after ${seconds}.`;
    case "timeout":
      return `${icons.timeout} Stopped at the time limit (${seconds}).`;
    case "oom":
      return `${icons.crash} Ran out of memory.`;
    case "crashed":
      return `${icons.crash} Python crashed.`;
    case "lost":
      return `${icons.crash} The sandbox stopped during the run.`;
    case "cancelled":
      return `${icons.cancelled} Cancelled.`;
  }
}
