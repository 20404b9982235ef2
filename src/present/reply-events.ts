/**
 * The stream of things the bot says back, in order, for any platform to render. Adapters
 * decide how (edits, uploads, reactions); the core decides what.
 */
import type { ExecutionError, ExecutionStatus, RunStage, TableData } from "../sandbox/types.ts";

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
  | {
      type: "file";
      name: string;
      data: Buffer;
      mime: string;
      /**
       * Set on a figure's interactive page (figure-N.html, text/html, plotly.js inlined): the
       * name of the image event just before it, the same figure as a picture (figure-N.png);
       * absent when the picture could not be drawn.
       */
      figure?: string;
    }
  /**
   * A table the code displayed (a pandas DataFrame or Series), in the order of the run's images.
   * Chat platforms show `table` as text, cut to fit, and attach `csv` when they show less than
   * the whole; `html` is the kernel's own HTML view of it (pandas' table, itself cut at 60 rows
   * and 20 columns), for a platform that shows HTML. `csv` is null when the whole table was over
   * the sandbox's limit (`table.csvMissing` says why).
   */
  | {
      type: "table";
      /** "table-N", numbered per reply; the CSV is "table-N.csv". */
      name: string;
      table: TableData;
      html: string | null;
      csv: { name: string; data: Buffer } | null;
    }
  /** Something the user should know: output cut, history trimmed, a file too large to send. */
  | { type: "notice"; text: string }
  /** What went wrong and what to do; the run is over. */
  | { type: "error"; code: string; text: string };

export type ReplySink = (event: ReplyEvent) => Promise<void> | void;
