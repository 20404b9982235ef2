/**
 * What the model reads after its code ran: the outcome in plain text, each part capped so a
 * chatty script cannot flood the context, with a note wherever something was cut.
 */
import type { DeliveredOutputs } from "../present/deliver-execution.ts";
import type { Execution } from "../sandbox/types.ts";

const STDOUT_CHARS = 8_000;
const STDERR_CHARS = 3_000;
const TRACEBACK_CHARS = 4_000;
const RESULT_CHARS = 3_000;

export function headAndTail(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const head = Math.floor(limit * 0.7);
  const tail = limit - head;
  return `${text.slice(0, head)}\n[… ${text.length - limit} characters cut …]\n${text.slice(-tail)}`;
}

export function toolResultText(execution: Execution, delivered: DeliveredOutputs): string {
  const parts = [`status: ${execution.status} (${Math.round(execution.durationMs)} ms)`];
  if (execution.stdout) parts.push(`stdout:\n${headAndTail(execution.stdout, STDOUT_CHARS)}`);
  if (execution.stderr) parts.push(`stderr:\n${headAndTail(execution.stderr, STDERR_CHARS)}`);
  const result = execution.displays.find((d) => d.isResult)?.text;
  if (result) parts.push(`result:\n${headAndTail(result, RESULT_CHARS)}`);
  if (execution.error) {
    parts.push(`error: ${execution.error.name}: ${execution.error.value}`);
    if (execution.error.traceback)
      parts.push(`traceback:\n${headAndTail(execution.error.traceback, TRACEBACK_CHARS)}`);
  }
  if (delivered.images.length > 0) {
    const sizes = delivered.images.map((i) => (i.width ? `${i.width}x${i.height}` : "image")).join(", ");
    parts.push(`images shown to the user: ${delivered.images.length} (${sizes})`);
  }
  if (delivered.pages.length > 0) {
    const names = delivered.pages.map((page) => page.name).join(", ");
    parts.push(`interactive figures sent to the user as HTML files (open offline): ${names}`);
  }
  for (const table of delivered.tables) {
    const whole = table.csv
      ? `; where the chat cannot show all of it, the whole table is sent as ${table.csv}`
      : "";
    parts.push(
      `table shown to the user: ${table.rows} rows x ${table.columns} columns (the first and last rows)${whole}`,
    );
  }
  if (delivered.files.length > 0) {
    const list = delivered.files.map((f) => `/mnt/data/${f.path} (${f.size} bytes, ${f.mime})`).join("\n");
    parts.push(`files sent to the user:\n${list}`);
  }
  for (const file of delivered.unsent) parts.push(`not sent: /mnt/data/${file.path}: ${file.reason}`);
  if (execution.notices.length > 0) parts.push(`notes:\n${execution.notices.join("\n")}`);
  return parts.join("\n\n");
}
