/** What one execution in the sandbox produced. A failing script is a result, not an exception. */
import type { TableData } from "./table-data.ts";

export type { TableData } from "./table-data.ts";

/**
 * "crashed": Python itself died (a segfault, os._exit) or was restarted for breaking the protocol;
 * "lost": the sandbox container stopped under the run (killed, removed, its engine went away),
 * which only the bot can tell, never the supervisor.
 */
export type ExecutionStatus = "ok" | "error" | "timeout" | "cancelled" | "oom" | "crashed" | "lost";

export interface ExecutionError {
  name: string;
  value: string;
  traceback: string;
}

export interface SandboxFile {
  /** Relative to /mnt/data. */
  path: string;
  size: number;
  mime: string;
  mtimeMs?: number;
}

/** One rich output, in the order the code produced it. */
export interface DisplayOutput {
  /** True for the value of the cell's last expression, false for display() and figures. */
  isResult: boolean;
  text?: string;
  html?: string;
  png?: Buffer;
  /** A self-contained page that shows this display interactively (a plotly figure; plotly.js inlined). */
  page?: Buffer;
  /** The display is a table (a pandas DataFrame or Series): the part of it the kernel sent. */
  table?: TableData;
  /** The whole table as CSV, unless it was over the sandbox's limit (`table.csvMissing` says why). */
  csv?: Buffer;
}

export interface Execution {
  status: ExecutionStatus;
  stdout: string;
  stderr: string;
  error: ExecutionError | null;
  displays: DisplayOutput[];
  /** The PNGs among `displays`, for callers that only want the pictures. */
  images: Buffer[];
  /** Files in /mnt/data that the code created or changed. */
  files: SandboxFile[];
  durationMs: number;
  /** Plain sentences about what was cut, restarted or lost; shown to the user as they are. */
  notices: string[];
  /** Whether the Python process was replaced: variables and imports are gone. */
  kernelRestarted: boolean;
  /** Whether the whole container was replaced: files in /mnt/data are gone too. */
  filesLost: boolean;
}

export type OutputEvent =
  | { type: "stdout" | "stderr"; text: string }
  | { type: "display"; display: DisplayOutput };

/**
 * Where a run is before its code starts. `queued` repeats whenever the number ahead changes;
 * the others are said once each, and only when they happen (a pooled or live container skips
 * `starting`; a conversation with nothing kept skips `restoring`).
 */
export type RunStage =
  /** Waiting for a free sandbox or run slot; `ahead` requests go first. */
  | { stage: "queued"; ahead: number }
  /** A new container is being started for the conversation. */
  | { stage: "starting" }
  /** The conversation's kept files and variables are being put back into a new container. */
  | { stage: "restoring" }
  /** The code has been handed to Python. */
  | { stage: "running" };

export interface ExecuteOptions {
  timeoutMs?: number;
  /** Cancels the run at any stage: queued, starting, restoring or running. */
  signal?: AbortSignal;
  onOutput?: (event: OutputEvent) => void;
  /** Who the run is for: when runs must wait, the queue takes turns between owners. Defaults to the session. */
  owner?: string;
  onStage?: (stage: RunStage) => void;
}
