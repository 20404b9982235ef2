/**
 * The stream of things the bot says back, in order, for any platform to render. Adapters
 * decide how (edits, uploads, reactions); the core decides what.
 */
import type { ExecutionError, ExecutionStatus, RunStage } from "../sandbox/types.ts";

export type BotStatus = "queued" | "working" | "running-code" | "done" | "failed";

export interface CodeRunSummary {
  status: ExecutionStatus;
  stdout: string;
  stderr: string;
  error: ExecutionError | null;
  /** The last expression's text, if any. */
  result: string | null;
  durationMs: number;
}

export type ReplyEvent =
  | { type: "status"; status: BotStatus }
  /** Where a code run is before its code starts: waiting its turn, starting or restoring a sandbox. */
  | { type: "sandbox-stage"; stage: RunStage }
  /** Assistant text as it streams in; a `text` event with the whole message follows. */
  | { type: "text-delta"; text: string }
  /** One complete assistant message, in Markdown. */
  | { type: "text"; text: string }
  | { type: "code"; code: string }
  | { type: "code-result"; run: CodeRunSummary }
  | { type: "image"; name: string; data: Buffer; width: number | null; height: number | null }
  | { type: "file"; name: string; data: Buffer; mime: string }
  /** Something the user should know: output cut, history trimmed, a file too large to send. */
  | { type: "notice"; text: string }
  /** What went wrong and what to do; the run is over. */
  | { type: "error"; code: string; text: string };

export type ReplySink = (event: ReplyEvent) => Promise<void> | void;
