/**
 * What one platform can do in the thread a reply goes to. The presenter (presenter.ts) decides
 * what to say and when; a surface only says it. `post` and `upload` are all a platform must
 * have; editing, status marks, typing and real tables are optional, and the presenter falls
 * back without them.
 */
import type { TableData } from "../sandbox/types.ts";

/** The states a surface may show on the user's message, e.g. as a reaction. */
export type ShownStatus = "queued" | "working" | "done" | "failed";

export interface ReplySurface {
  readonly limits: SurfaceLimits;
  readonly text: SurfaceText;
  /** Posts a message into the reply's thread; returns a reference for `edit`, or null. */
  post(text: string): Promise<string | null>;
  /** Attaches a file to the thread, with an optional comment shown with it. */
  upload(name: string, data: Buffer, comment?: string): Promise<void>;
  /** Replaces the text of a message this surface posted. */
  edit?(ref: string, text: string): Promise<void>;
  /** Shows the reply's state on the user's message, replacing the state shown before. */
  showStatus?(status: ShownStatus): Promise<void>;
  /** Shows that the bot is busy; platforms let it fade after a few seconds, so it is repeated. */
  typing?(): Promise<void>;
  /**
   * Shows a table as a table (rows and cells, not text), all the rows and columns in `table`;
   * without it the presenter posts a text table cut to fit a message.
   */
  table?(shown: ShownTable): Promise<void>;
}

/** A table for a surface that can show one, with what the presenter says about it. */
export interface ShownTable {
  /** As the sandbox sent it; `csvMissing` also says when the CSV is over the platform's limit. */
  table: TableData;
  /** What the table leaves out and where the rest is, in the platform's text; null when it is whole. */
  note: string | null;
  /** The whole table, to attach when the note says so; null when the table is whole or no CSV can be sent. */
  csv: { name: string; data: Buffer } | null;
}

export interface SurfaceLimits {
  /** The most characters one message may have. */
  messageChars: number;
  /** Code up to this many characters is shown in a message; longer code is attached as a file. */
  codeChars: number;
  /** The same for a run's output. */
  outputChars: number;
  /** The largest file the platform accepts; a larger one is named instead of sent. */
  uploadBytes: number;
}

/** The platform's text dialect. Every function is pure. */
export interface SurfaceText {
  /** The Markdown a model writes → the platform's own text. */
  fromMarkdown(markdown: string): string;
  /** Literal text (a file name, an error message) made safe to show as it is. */
  literal(text: string): string;
  /** A code block for `code` (highlighted as `language` where the platform can), or null when it would be longer than `maxChars`. */
  codeBlock(code: string, maxChars: number, language?: "python"): string | null;
  /** Splits the platform's text into messages of at most `limit` characters, losing none. */
  split(text: string, limit: number): string[];
  readonly icons: StatusIcons;
}

/** The small pictures that start the presenter's own lines, in the platform's notation. */
export interface StatusIcons {
  code: string;
  ok: string;
  error: string;
  timeout: string;
  crash: string;
  cancelled: string;
  notice: string;
  warning: string;
  waiting: string;
}
