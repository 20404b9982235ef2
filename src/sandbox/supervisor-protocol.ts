/**
 * The messages the in-container supervisor sends (sandbox-image/kernel/supervisor.py).
 * They cross a trust boundary (user code runs next to the supervisor), so each line is
 * parsed strictly: an unknown or malformed message is rejected, never half-used.
 */

import { isJsonObject, type JsonObject } from "../json-object.ts";
import { parseTableData, TABLE_MIME, type TableData } from "./table-data.ts";
import type { ExecutionError, ExecutionStatus, SandboxFile } from "./types.ts";

export type SupervisorMessage =
  | { type: "ready"; kernelPid: number }
  | { type: "stream"; id: string; name: "stdout" | "stderr"; text: string }
  | DisplayMessage
  | ResultMessage
  | {
      type: "pong";
      id: string;
      state: "idle" | "busy" | "starting" | "broken";
      restarts: number;
      /** The run in progress, if any. */
      executionId: string | null;
    }
  | { type: "ack"; id: string; size: number | null }
  | { type: "failure"; id: string | null; code: string | null; message: string; size: number | null }
  | { type: "files"; id: string; files: SandboxFile[]; truncated: boolean }
  | { type: "file_chunk"; id: string; data: string }
  | { type: "file_end"; id: string; size: number; sha256: string }
  | { type: "kernel_restarted"; reason: string; protocolViolations: number };

/**
 * One rich output. `data` is its MIME bundle (strings; image/png in base64); `table` is the
 * parsed application/vnd.cib.table+json entry of it; `files` are base64 files that stand for
 * the display as a whole: a figure's interactive page (text/html), a table's CSV (text/csv).
 */
export interface DisplayMessage {
  type: "display";
  id: string;
  data: Record<string, string>;
  result: boolean;
  table: TableData | null;
  files: DisplayFiles;
}

export interface DisplayFiles {
  "text/html"?: string;
  "text/csv"?: string;
}

const DISPLAY_FILE_TYPES: ReadonlySet<string> = new Set(["text/html", "text/csv"]);

/** Which limit of /mnt/data a run used up, so the user hears why writes failed. */
export interface DataFull {
  filesFull: boolean;
  bytesFull: boolean;
  maxFiles: number;
  maxBytes: number;
}

export interface ResultMessage {
  type: "result";
  id: string;
  status: ExecutionStatus;
  durationMs: number;
  files: SandboxFile[];
  moreFiles: number;
  error: ExecutionError | null;
  truncated: { stdout: number; stderr: number };
  dropped: string[];
  reason: string | null;
  restarted: boolean;
  stoppedProcesses: number;
  pidsLimitHit: boolean;
  /** The time limit the supervisor enforced for this run. */
  timeoutMs: number | null;
  dataFull: DataFull | null;
  /** Named pipes, links and other non-regular files the run made, which are never transferred. */
  skippedFiles: string[];
  /** Lines the kernel wrote to the control channel that were malformed, forged or out of turn. */
  protocolViolations: number;
  /** Files that were in /mnt/data when the run started and are gone now. */
  removedFiles: string[];
  moreRemovedFiles: number;
  /** Why Python restarted between the last run and this one (while nothing may have been attached). */
  restartedBefore: string[];
}

export class ProtocolError extends Error {}

/** What the supervisor may say of a run; "lost" is the bot's own word for a container gone. */
const STATUSES: readonly ExecutionStatus[] = ["ok", "error", "timeout", "cancelled", "oom", "crashed"];
const STATES = ["idle", "busy", "starting", "broken"] as const;

function str(object: JsonObject, key: string): string {
  const value = object[key];
  if (typeof value !== "string") throw new ProtocolError(`${String(object.type)}.${key} is not a string`);
  return value;
}

function num(object: JsonObject, key: string, fallback?: number): number {
  const value = object[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ProtocolError(`${String(object.type)}.${key} is not a number`);
  }
  return value;
}

function optionalString(object: JsonObject, key: string): string | null {
  const value = object[key];
  return typeof value === "string" ? value : null;
}

function parseFile(value: unknown): SandboxFile {
  if (!isJsonObject(value)) throw new ProtocolError("file entry is not an object");
  const file: SandboxFile = { path: str(value, "path"), size: num(value, "size"), mime: str(value, "mime") };
  if (typeof value.mtime_ms === "number") file.mtimeMs = value.mtime_ms;
  return file;
}

function parseFiles(value: unknown): SandboxFile[] {
  if (!Array.isArray(value)) throw new ProtocolError("files is not a list");
  return value.map(parseFile);
}

function parseError(value: unknown): ExecutionError | null {
  if (value === null || value === undefined) return null;
  if (!isJsonObject(value)) throw new ProtocolError("error is not an object");
  return { name: str(value, "name"), value: str(value, "value"), traceback: str(value, "traceback") };
}

function parseStringMap(value: unknown): Record<string, string> {
  if (!isJsonObject(value)) throw new ProtocolError("display.data is not an object");
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") throw new ProtocolError(`display.data.${key} is not a string`);
    out[key] = item;
  }
  return out;
}

function parseDisplay(m: JsonObject): DisplayMessage {
  const data = parseStringMap(m.data);
  let table: TableData | null = null;
  const tableText = data[TABLE_MIME];
  if (tableText !== undefined) {
    try {
      table = parseTableData(tableText);
    } catch (error) {
      throw new ProtocolError(`display table: ${(error as Error).message}`);
    }
  }
  const files: DisplayFiles = {};
  if (m.files !== undefined) {
    if (!isJsonObject(m.files)) throw new ProtocolError("display.files is not an object");
    for (const [mime, content] of Object.entries(m.files)) {
      if (!DISPLAY_FILE_TYPES.has(mime)) throw new ProtocolError(`display.files has an unknown type ${mime}`);
      if (typeof content !== "string") throw new ProtocolError(`display.files.${mime} is not a string`);
      files[mime as keyof DisplayFiles] = content;
    }
  }
  return { type: "display", id: str(m, "id"), data, result: m.result === true, table, files };
}

function parseDataFull(value: unknown): DataFull | null {
  if (value === undefined || value === null) return null;
  if (!isJsonObject(value)) throw new ProtocolError("data_full is not an object");
  return {
    filesFull: value.files_full === true,
    bytesFull: value.bytes_full === true,
    maxFiles: num(value, "max_files"),
    maxBytes: num(value, "max_bytes"),
  };
}

function strings(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new ProtocolError(`${key} is not a list of strings`);
  }
  return value;
}

function parseResult(m: JsonObject): ResultMessage {
  const status = str(m, "status");
  if (!STATUSES.includes(status as ExecutionStatus)) throw new ProtocolError(`unknown status ${status}`);
  const truncated = isJsonObject(m.truncated) ? m.truncated : {};
  return {
    type: "result",
    id: str(m, "id"),
    status: status as ExecutionStatus,
    durationMs: num(m, "duration_ms"),
    files: parseFiles(m.files ?? []),
    moreFiles: num(m, "more_files", 0),
    error: parseError(m.error),
    truncated: { stdout: num(truncated, "stdout", 0), stderr: num(truncated, "stderr", 0) },
    dropped: Array.isArray(m.dropped) ? m.dropped.filter((d): d is string => typeof d === "string") : [],
    reason: optionalString(m, "reason"),
    restarted: m.restarted === true,
    stoppedProcesses: num(m, "stopped_processes", 0),
    pidsLimitHit: m.pids_limit_hit === true,
    timeoutMs: typeof m.timeout_ms === "number" && Number.isFinite(m.timeout_ms) ? m.timeout_ms : null,
    dataFull: parseDataFull(m.data_full),
    skippedFiles: strings(m.skipped_files, "skipped_files"),
    protocolViolations: num(m, "protocol_violations", 0),
    removedFiles: strings(m.removed_files, "removed_files"),
    moreRemovedFiles: num(m, "more_removed_files", 0),
    restartedBefore: strings(m.restarted_before, "restarted_before"),
  };
}

export function parseSupervisorMessage(line: Buffer | string): SupervisorMessage {
  let m: unknown;
  try {
    m = JSON.parse(line.toString());
  } catch {
    throw new ProtocolError("message is not JSON");
  }
  if (!isJsonObject(m)) throw new ProtocolError("message is not an object");
  switch (m.type) {
    case "ready":
      return { type: "ready", kernelPid: num(m, "kernel_pid") };
    case "stream": {
      const name = str(m, "name");
      if (name !== "stdout" && name !== "stderr") throw new ProtocolError(`unknown stream ${name}`);
      return { type: "stream", id: str(m, "id"), name, text: str(m, "text") };
    }
    case "display":
      return parseDisplay(m);
    case "result":
      return parseResult(m);
    case "pong": {
      const state = str(m, "state");
      if (!(STATES as readonly string[]).includes(state)) throw new ProtocolError(`unknown state ${state}`);
      return {
        type: "pong",
        id: str(m, "id"),
        state: state as (typeof STATES)[number],
        restarts: num(m, "restarts", 0),
        executionId: optionalString(m, "execution_id"),
      };
    }
    case "ack":
      return { type: "ack", id: str(m, "id"), size: typeof m.size === "number" ? m.size : null };
    case "failure":
      return {
        type: "failure",
        id: optionalString(m, "id"),
        code: optionalString(m, "code"),
        message: str(m, "message"),
        size: typeof m.size === "number" ? m.size : null,
      };
    case "files":
      return { type: "files", id: str(m, "id"), files: parseFiles(m.files), truncated: m.truncated === true };
    case "file_chunk":
      return { type: "file_chunk", id: str(m, "id"), data: str(m, "data") };
    case "file_end":
      return { type: "file_end", id: str(m, "id"), size: num(m, "size"), sha256: str(m, "sha256") };
    case "kernel_restarted":
      return {
        type: "kernel_restarted",
        reason: str(m, "reason"),
        protocolViolations: num(m, "protocol_violations", 0),
      };
    default:
      throw new ProtocolError(`unknown message type ${String(m.type)}`);
  }
}
