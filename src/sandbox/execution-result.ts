/**
 * The Execution a caller gets, from the supervisor's result or, when there is none (the run was
 * cancelled before it started, or its container was lost), from what was collected so far.
 */
import type { SandboxLimits } from "./limits.ts";
import { idleRestartNotice, resultNotices } from "./notices.ts";
import type { OutputCollector } from "./output-collector.ts";
import type { ResultMessage } from "./supervisor-protocol.ts";
import type { Execution } from "./types.ts";

export function executionFromResult(
  result: ResultMessage,
  collector: OutputCollector,
  startNotices: string[],
  filesLost: boolean,
  limits: SandboxLimits,
): Execution {
  return {
    status: result.status,
    stdout: collector.stdout,
    stderr: collector.stderr,
    error: result.error,
    displays: collector.displays,
    images: collector.images,
    files: result.files,
    durationMs: result.durationMs,
    notices: [
      ...startNotices,
      ...result.restartedBefore.map(idleRestartNotice),
      ...resultNotices(result, limits),
      ...collector.notices(),
    ],
    kernelRestarted:
      result.restarted ||
      result.status === "oom" ||
      result.status === "crashed" ||
      result.restartedBefore.length > 0,
    filesLost,
  };
}

export function executionWithoutResult(
  status: Execution["status"],
  collector: OutputCollector,
  durationMs: number,
  notices: string[],
  filesLost = false,
): Execution {
  return {
    status,
    stdout: collector.stdout,
    stderr: collector.stderr,
    error: null,
    displays: collector.displays,
    images: collector.images,
    files: [],
    durationMs,
    notices: [...notices, ...collector.notices()],
    // Without a result, the run either never started (cancelled) or its container is gone.
    kernelRestarted: status !== "cancelled",
    filesLost,
  };
}
