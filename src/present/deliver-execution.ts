/**
 * Turns one sandbox execution into reply events: the run's output, its images, the files it
 * wrote (fetched from the sandbox), and plain notes about anything left out.
 */

import { humanSize } from "../files/human-size.ts";
import { pngSize } from "../files/png-size.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import type { Execution } from "../sandbox/types.ts";
import type { CodeRunSummary, ReplySink } from "./reply-events.ts";

const MAX_FILES_PER_RUN = 10;

/** What reached the user, so the model can be told (agent/tool-result-text.ts). */
export interface DeliveredOutputs {
  images: Array<{ name: string; width: number | null; height: number | null }>;
  files: Array<{ name: string; path: string; size: number; mime: string }>;
  /** Files the code wrote that could not be sent, with why. */
  unsent: Array<{ path: string; reason: string }>;
}

export function summarizeRun(execution: Execution): CodeRunSummary {
  return {
    status: execution.status,
    stdout: execution.stdout,
    stderr: execution.stderr,
    error: execution.error,
    result: execution.displays.find((d) => d.isResult)?.text ?? null,
    durationMs: execution.durationMs,
  };
}

export async function deliverExecution(
  execution: Execution,
  session: SandboxSession,
  emit: ReplySink,
  options: { maxFileBytes: number; imageCounter: { next: number } },
): Promise<DeliveredOutputs> {
  const delivered: DeliveredOutputs = { images: [], files: [], unsent: [] };
  await emit({ type: "code-result", run: summarizeRun(execution) });
  for (const png of execution.images) {
    const size = pngSize(png);
    const name = `figure-${options.imageCounter.next}.png`;
    options.imageCounter.next += 1;
    await emit({ type: "image", name, data: png, width: size?.width ?? null, height: size?.height ?? null });
    delivered.images.push({ name, width: size?.width ?? null, height: size?.height ?? null });
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
