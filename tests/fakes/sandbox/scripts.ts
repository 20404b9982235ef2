/**
 * What a test scripts into the fake sandbox: which code a responder answers (an exact
 * string, a RegExp or a predicate), and what the responder may see and do. A responder
 * plays the Python: it reads and writes the session's /mnt/data and variables, may stream
 * output while it runs, and returns what the run produced as part of an Execution.
 */
import type { DisplayOutput, ExecutionError, ExecutionStatus } from "../../../src/sandbox/types.ts";

export type CodeMatcher = string | RegExp | ((code: string) => boolean);

/** /mnt/data as Python code sees it: paths relative to it, or absolute below `/mnt/data/`. */
export interface ScriptFiles {
  read(path: string): Buffer;
  write(path: string, data: Buffer | string): void;
  has(path: string): boolean;
  remove(path: string): boolean;
}

export interface ScriptContext {
  readonly code: string;
  /** The groups of a RegExp matcher; null for the other kinds. */
  readonly match: RegExpExecArray | null;
  /** The conversation key of the session. */
  readonly key: string;
  /** The Python namespace as far as scripts model it; a kernel restart or reset empties it. */
  readonly variables: Map<string, unknown>;
  readonly files: ScriptFiles;
  /** Aborted when the run is cancelled or hits its time limit, as Python gets KeyboardInterrupt. */
  readonly signal: AbortSignal;
  /** Streams stdout now, as `print(..., flush=True)` would. */
  print(text: string): void;
  /** Streams stderr now. */
  printError(text: string): void;
  /** Streams a display now, as `display()` or `plt.show()` would. */
  display(display: DisplayOutput): void;
  /** Waits like `time.sleep`, and rejects when the run is interrupted. */
  sleep(ms: number): Promise<void>;
}

/** What a run produced, beyond what the responder streamed; every field is optional. */
export interface ScriptedRun {
  /** "error" when `error` is given, "ok" otherwise. */
  status?: ExecutionStatus;
  stdout?: string;
  stderr?: string;
  error?: ExecutionError | null;
  /** The text of the cell's last expression, shown first among the displays (isResult). */
  result?: string;
  displays?: DisplayOutput[];
  /** Figures still open when the cell ended: real PNG bytes, see renderFigure. */
  images?: Buffer[];
  /** Files the code wrote into /mnt/data (relative paths); reported like any other change. */
  files?: Array<{ path: string; data: Buffer | string }>;
  notices?: string[];
  /** Python was replaced: the session's variables are emptied. */
  kernelRestarted?: boolean;
  /** The container was replaced: its files are emptied too. */
  filesLost?: boolean;
  /** Reported instead of the measured wall-clock time. */
  durationMs?: number;
}

/** Returns the run's outcome; throwing (other than on interruption) plays an infrastructure failure. */
export type Responder = (context: ScriptContext) => ScriptedRun | Promise<ScriptedRun>;

export interface ScriptHandle {
  /** The code of every run this script answered, oldest first. */
  readonly calls: readonly string[];
  /** Stops answering; earlier scripts for the same code answer again. */
  remove(): void;
}

interface Entry {
  matcher: CodeMatcher;
  responder: Responder;
  calls: string[];
}

/** The scripts of one fake sandbox. The latest matching script answers, so a test can override. */
export class ScriptBook {
  private entries: Entry[] = [];

  add(matcher: CodeMatcher, responder: Responder): ScriptHandle {
    const entry: Entry = { matcher, responder, calls: [] };
    this.entries.push(entry);
    return {
      calls: entry.calls,
      remove: () => {
        this.entries = this.entries.filter((e) => e !== entry);
      },
    };
  }

  /** The responder for `code` with its RegExp match; null when none matches. Calls are counted when made. */
  find(code: string): { responder: Responder; match: RegExpExecArray | null } | null {
    for (const entry of [...this.entries].reverse()) {
      const found = matches(entry.matcher, code);
      if (!found) continue;
      const responder: Responder = (context) => {
        entry.calls.push(code);
        return entry.responder(context);
      };
      return { responder, match: found === true ? null : found };
    }
    return null;
  }
}

function matches(matcher: CodeMatcher, code: string): RegExpExecArray | boolean {
  if (typeof matcher === "string") return matcher === code;
  if (typeof matcher === "function") return matcher(code);
  matcher.lastIndex = 0;
  return matcher.exec(code) ?? false;
}

/** A Python exception as the kernel reports it, with an IPython-style traceback. */
export function pythonError(name: string, value: string, code = ""): ExecutionError {
  const lines = code.split("\n");
  const index = lines.findIndex((l) => l.trim());
  const rule = "-".repeat(75);
  const where = index >= 0 ? `Cell In [1], line ${index + 1}\n----> ${index + 1} ${lines[index]}\n\n` : "";
  return {
    name,
    value,
    traceback: `${rule}\n${name.padEnd(42)}Traceback (most recent call last)\n${where}${name}: ${value}`,
  };
}
