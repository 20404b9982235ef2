/**
 * What one platform can do in the thread a reply goes to. The presenter (presenter.ts) decides
 * what to say and when; a surface only says it. `post` and `upload` are all a platform must
 * have; editing, status marks and typing are optional, and the presenter falls back without them.
 */

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
