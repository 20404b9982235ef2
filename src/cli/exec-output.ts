/** How `exec` reports an execution: a human summary on the terminal, or one JSON object. */

import { humanSize } from "../files/human-size.ts";
import { pngSize } from "../files/png-size.ts";
import { FolderWriter } from "../files/save-to-folder.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import type { Execution } from "../sandbox/types.ts";

export interface SavedImage {
  file: string | null;
  bytes: number;
  width: number | null;
  height: number | null;
}

export interface SavedFile {
  path: string;
  size: number;
  mime: string;
  savedTo: string | null;
  problem?: string;
}

export interface ExecReport {
  status: Execution["status"];
  stdout: string;
  stderr: string;
  error: Execution["error"];
  result: { text: string | null; html: string | null } | null;
  images: SavedImage[];
  files: SavedFile[];
  durationMs: number;
  notices: string[];
  kernelRestarted: boolean;
  filesLost: boolean;
  session: string | null;
}

/** Saves images and changed files into `outDir` (when given) and builds the report. */
export async function buildReport(
  execution: Execution,
  session: SandboxSession,
  sessionName: string | null,
  outDir: string | null,
): Promise<ExecReport> {
  const writer = outDir ? new FolderWriter(outDir) : null;
  const images: SavedImage[] = [];
  let figures = 0;
  let tables = 0;
  for (const display of execution.displays) {
    const { png, page, csv } = display;
    // A figure's interactive page is saved beside its picture, under the same number.
    if (png || page) {
      figures += 1;
      const stem = `image-${figures}`;
      const size = png ? pngSize(png) : null;
      const file = writer && png ? await writer.save(`${stem}.png`, png) : null;
      if (page) await writer?.save(`${stem}.html`, page);
      if (png)
        images.push({ file, bytes: png.length, width: size?.width ?? null, height: size?.height ?? null });
    }
    if (csv) {
      tables += 1;
      await writer?.save(`table-${tables}.csv`, csv);
    }
  }
  const files: SavedFile[] = [];
  for (const file of execution.files) {
    const saved: SavedFile = { path: file.path, size: file.size, mime: file.mime, savedTo: null };
    if (writer) {
      try {
        saved.savedTo = await writer.save(file.path, await session.getFile(file.path));
      } catch (error) {
        saved.problem = (error as Error).message;
      }
    }
    files.push(saved);
  }
  const last = execution.displays.find((d) => d.isResult);
  return {
    status: execution.status,
    stdout: execution.stdout,
    stderr: execution.stderr,
    error: execution.error,
    result: last ? { text: last.text ?? null, html: last.html ?? null } : null,
    images,
    files,
    durationMs: Math.round(execution.durationMs * 10) / 10,
    notices: execution.notices,
    kernelRestarted: execution.kernelRestarted,
    filesLost: execution.filesLost,
    session: sessionName,
  };
}

/** The summary after the streamed output; stdout and stderr were already printed live. */
export function printHumanSummary(
  report: ExecReport,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): void {
  if (report.result?.text) out.write(`${report.result.text}\n`);
  if (report.error) err.write(`${report.error.traceback || `${report.error.name}: ${report.error.value}`}\n`);
  for (const image of report.images) {
    const dims = image.width ? ` ${image.width}x${image.height}` : "";
    err.write(
      `image:${dims} ${humanSize(image.bytes)}${image.file ? ` saved to ${image.file}` : " (use --out DIR to save)"}\n`,
    );
  }
  for (const file of report.files) {
    const where = file.savedTo
      ? ` saved to ${file.savedTo}`
      : file.problem
        ? ` not saved: ${file.problem}`
        : "";
    err.write(`file: /mnt/data/${file.path} (${humanSize(file.size)}, ${file.mime})${where}\n`);
  }
  for (const notice of report.notices) err.write(`note: ${notice}\n`);
  err.write(`status: ${report.status} in ${Math.round(report.durationMs)} ms\n`);
}
