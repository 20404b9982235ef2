/**
 * Turns one sandbox execution into reply events: the run's output, its displays in the order
 * the code made them (pictures, figures' interactive pages, tables), the files it wrote
 * (fetched from the sandbox), and plain notes about anything left out.
 */

import { humanSize } from "../files/human-size.ts";
import { fitImage, MODEL_IMAGE_SIDE, PLATFORM_IMAGE_SIDE } from "../files/image-limits.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import type { DisplayOutput, Execution } from "../sandbox/types.ts";
import type { CodeRunSummary, ReplySink } from "./reply-events.ts";

const MAX_FILES_PER_RUN = 10;

/** What reached the user, so the model can be told (agent/tool-result-text.ts). */
export interface DeliveredOutputs {
  images: Array<{ name: string; width: number | null; height: number | null }>;
  /** Figures' interactive pages (figure-N.html), each beside its image when it has one. */
  pages: Array<{ name: string; size: number }>;
  /** Tables shown as tables; `csv` names the whole table's CSV, offered where the table is cut. */
  tables: Array<{ name: string; rows: number; columns: number; csv: string | null }>;
  files: Array<{ name: string; path: string; size: number; mime: string }>;
  /** Files the code wrote that could not be sent, with why. */
  unsent: Array<{ path: string; reason: string }>;
  /**
   * The pictures as a model that sees images may be shown them: decoded under the pixel limit
   * and scaled down; a picture that failed that check is left out, so it cannot fail the call.
   */
  modelImages: Buffer[];
}

export interface DeliverOptions {
  maxFileBytes: number;
  /** Numbers figures across the runs of one reply: figure-N.png and its page figure-N.html. */
  imageCounter: { next: number };
  /** Numbers tables across the runs of one reply (table-N.csv); each run starts at 1 without it. */
  tableCounter?: { next: number };
}

export function summarizeRun(execution: Execution): CodeRunSummary {
  const result = execution.displays.find((d) => d.isResult);
  return {
    status: execution.status,
    stdout: execution.stdout,
    stderr: execution.stderr,
    error: execution.error,
    // A table result is shown as a table of its own, not a second time as pandas' text.
    result: result && !result.table ? (result.text ?? null) : null,
    durationMs: execution.durationMs,
  };
}

export async function deliverExecution(
  execution: Execution,
  session: SandboxSession,
  emit: ReplySink,
  options: DeliverOptions,
): Promise<DeliveredOutputs> {
  const delivered: DeliveredOutputs = {
    images: [],
    pages: [],
    tables: [],
    files: [],
    unsent: [],
    modelImages: [],
  };
  const tableCounter = options.tableCounter ?? { next: 1 };
  await emit({ type: "code-result", run: summarizeRun(execution) });
  for (const display of execution.displays) {
    await deliverDisplay(display, emit, delivered, options, tableCounter);
  }
  for (const [index, file] of execution.files.entries()) {
    if (index >= MAX_FILES_PER_RUN) {
      delivered.unsent.push({
        path: file.path,
        reason: `only the first ${MAX_FILES_PER_RUN} files of a run are sent`,
      });
      continue;
    }
    if (file.size > options.maxFileBytes) {
      delivered.unsent.push({
        path: file.path,
        reason: `it is ${humanSize(file.size)}, over the ${humanSize(options.maxFileBytes)} limit for sending files`,
      });
      continue;
    }
    try {
      const data = await session.getFile(file.path, options.maxFileBytes);
      const name = file.path.split("/").pop() ?? file.path;
      await emit({ type: "file", name, data, mime: file.mime });
      delivered.files.push({ name, path: file.path, size: data.length, mime: file.mime });
    } catch (error) {
      delivered.unsent.push({
        path: file.path,
        reason: `it could not be read (${(error as Error).message})`,
      });
    }
  }
  for (const unsent of delivered.unsent) {
    await emit({ type: "notice", text: `/mnt/data/${unsent.path} was not sent: ${unsent.reason}.` });
  }
  for (const notice of execution.notices) await emit({ type: "notice", text: notice });
  return delivered;
}

/** One display's picture, interactive page and table, in that order. */
async function deliverDisplay(
  display: DisplayOutput,
  emit: ReplySink,
  delivered: DeliveredOutputs,
  { imageCounter, maxFileBytes }: Pick<DeliverOptions, "imageCounter" | "maxFileBytes">,
  tableCounter: { next: number },
): Promise<void> {
  if (display.png || display.page) {
    const stem = `figure-${imageCounter.next}`;
    imageCounter.next += 1;
    let figure: string | undefined;
    if (display.png) {
      // The code's picture is untrusted bytes: decoded under a pixel limit, scaled to what a
      // platform shows, and a smaller copy kept for a model that looks at its own charts.
      const fitted = await fitImage(display.png, { maxSide: PLATFORM_IMAGE_SIDE, maxBytes: maxFileBytes });
      const forModel = fitted.ok ? await fitImage(fitted.png, { maxSide: MODEL_IMAGE_SIDE }) : fitted;
      if (forModel.ok) delivered.modelImages.push(forModel.png);
      if (fitted.ok) {
        const image = { name: `${stem}.png`, width: fitted.width, height: fitted.height };
        await emit({ type: "image", data: fitted.png, ...image });
        delivered.images.push(image);
        figure = image.name;
      } else {
        await emit({ type: "notice", text: `The picture ${stem}.png was not shown: ${fitted.reason}.` });
      }
    }
    if (display.page) {
      const name = `${stem}.html`;
      await emit({
        type: "file",
        name,
        data: display.page,
        mime: "text/html",
        ...(figure ? { figure } : {}),
      });
      delivered.pages.push({ name, size: display.page.length });
    }
  }
  if (!display.png && !display.page && !display.table && htmlIsTheContent(display)) {
    // IPython.display.HTML, a pandas Styler: their text view says only what kind of object they
    // are, so the HTML is what the code showed, and it is sent rather than dropped.
    const html = display.html ?? "";
    const name = `figure-${imageCounter.next}.html`;
    imageCounter.next += 1;
    const data = Buffer.from(html);
    await emit({ type: "file", name, data, mime: "text/html" });
    delivered.pages.push({ name, size: data.length });
  }
  if (display.table) {
    const name = `table-${tableCounter.next}`;
    tableCounter.next += 1;
    const csv = display.csv ? { name: `${name}.csv`, data: display.csv } : null;
    await emit({ type: "table", name, table: display.table, html: display.html ?? null, csv });
    delivered.tables.push({
      name,
      rows: display.table.totalRows,
      columns: display.table.totalColumns,
      csv: csv?.name ?? null,
    });
  }
}

/** An object's default text view: `<pandas.io.formats.style.Styler at 0x7f…>`, `<IPython.core.display.HTML object>`. */
const DEFAULT_REPR = /^<[\w.]+(?: object| at 0x[0-9a-f]+)>$/;

/** Whether a display's HTML is all it has to show (its text, if any, only names its type). */
export function htmlIsTheContent(display: DisplayOutput): boolean {
  if (!display.html?.trim()) return false;
  const text = display.text?.trim();
  return !text || DEFAULT_REPR.test(text);
}
