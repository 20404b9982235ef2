/**
 * One execution in the fake sandbox, with the supervisor's rules around the scripted code:
 * a wall-clock limit and a cancel both interrupt it (KeyboardInterrupt), code that does not
 * stop within the grace period costs the kernel (variables gone), output is capped and
 * streamed as it comes, changed files are reported, and the notices are worded by the same
 * function the Docker session uses.
 */
import { pngSize } from "../../../src/files/png-size.ts";
import type { SandboxLimits } from "../../../src/sandbox/limits.ts";
import {
  cancelledBeforeRunNotice,
  containerLostNotice,
  resultNotices,
} from "../../../src/sandbox/notices.ts";
import { OutputCollector } from "../../../src/sandbox/output-collector.ts";
import type { ResultMessage } from "../../../src/sandbox/supervisor-protocol.ts";
import type {
  DisplayOutput,
  ExecuteOptions,
  Execution,
  ExecutionError,
  ExecutionStatus,
} from "../../../src/sandbox/types.ts";
import type { MemoryDataFolder } from "./data-folder.ts";
import type { Responder, ScriptContext, ScriptedRun, ScriptFiles } from "./scripts.ts";

/** What a session keeps between runs: its /mnt/data, and the namespace of its current Python. */
export interface SessionState {
  readonly folder: MemoryDataFolder;
  /** Replaced, not emptied, when Python restarts: code still running in the old one cannot touch it. */
  variables: Map<string, unknown>;
}

export interface RunInput {
  key: string;
  code: string;
  responder: Responder;
  match: RegExpExecArray | null;
  state: SessionState;
  limits: SandboxLimits;
  options: ExecuteOptions;
  now: () => number;
}

/** What the kernel reports for code stopped by SIGINT; the traceback is the fake's, not IPython's. */
const KEYBOARD_INTERRUPT: ExecutionError = {
  name: "KeyboardInterrupt",
  value: "",
  traceback: "KeyboardInterrupt",
};

class Interrupted extends Error {
  constructor() {
    super("the run was interrupted");
  }
}

type Outcome =
  | { kind: "returned"; run: ScriptedRun }
  | { kind: "threw"; error: unknown }
  /** Interrupted, and still running after the grace period: the kernel is replaced. */
  | { kind: "stuck" };

export async function runScripted(input: RunInput): Promise<Execution> {
  const { limits, options, state, now } = input;
  const { folder, variables } = state;
  const started = now();
  const collector = new OutputCollector(limits.outputLimitBytes, options.onOutput);
  if (options.signal?.aborted) return cancelledBeforeStart(collector, now() - started);

  const timeoutMs = options.timeoutMs ?? limits.executionTimeoutMs;
  const interrupt = new AbortController();
  // An object, not a `let`: it is set from callbacks, which flow analysis does not follow.
  const stopped: { by: "timeout" | "cancelled" | null } = { by: null };
  const stop = (why: "timeout" | "cancelled") => {
    if (stopped.by) return;
    stopped.by = why;
    interrupt.abort();
  };
  const onAbort = () => stop("cancelled");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => stop("timeout"), timeoutMs);
  const output = new SupervisorOutput(limits.outputLimitBytes, collector);
  const before = folder.snapshot();
  let ended = false;
  const live = () => {
    if (ended) throw new Error("this scripted run has ended; a responder cannot act after its run");
  };

  const context: ScriptContext = {
    code: input.code,
    match: input.match,
    key: input.key,
    variables,
    files: pythonFiles(folder, live),
    signal: interrupt.signal,
    print: (text) => {
      live();
      output.text("stdout", text);
    },
    printError: (text) => {
      live();
      output.text("stderr", text);
    },
    display: (display) => {
      live();
      output.display(display);
    },
    sleep: (ms) => sleep(ms, interrupt.signal),
  };

  let outcome: Outcome;
  try {
    outcome = await settle(input.responder, context, interrupt.signal, limits.interruptGraceMs);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  const interruptedBy = stopped.by;
  if (outcome.kind === "threw" && !interruptedBy) {
    ended = true;
    throw outcome.error;
  }

  // An interrupted cell stops where it was: what it streamed and wrote so far stays, the rest never ran.
  const run: ScriptedRun = outcome.kind === "returned" && !interruptedBy ? outcome.run : {};
  for (const file of run.files ?? []) context.files.write(file.path, file.data);
  if (run.stdout) output.text("stdout", run.stdout);
  if (run.stderr) output.text("stderr", run.stderr);
  if (run.result !== undefined) output.display({ isResult: true, text: run.result });
  for (const display of run.displays ?? []) output.display(display);
  for (const png of run.images ?? []) output.display(figureDisplay(png));
  ended = true;

  const status: ExecutionStatus = interruptedBy ?? run.status ?? (run.error ? "error" : "ok");
  const restarted = outcome.kind === "stuck";
  const filesLost = run.filesLost === true;
  const kernelRestarted =
    restarted || filesLost || run.kernelRestarted === true || status === "oom" || status === "crashed";
  if (kernelRestarted) state.variables = new Map();
  if (filesLost) folder.clear();
  const changed = filesLost ? { files: [], moreFiles: 0 } : folder.changedSince(before);
  const result: ResultMessage = {
    type: "result",
    id: "scripted",
    status,
    durationMs: run.durationMs ?? now() - started,
    files: changed.files,
    moreFiles: changed.moreFiles,
    error: interruptedBy ? { ...KEYBOARD_INTERRUPT } : (run.error ?? null),
    truncated: output.truncated,
    dropped: [],
    reason: status === "crashed" ? "the test scripted a crash" : null,
    restarted,
    stoppedProcesses: 0,
    pidsLimitHit: false,
    timeoutMs,
    dataFull: null,
    skippedFiles: [],
    protocolViolations: 0,
    removedFiles: [],
    moreRemovedFiles: 0,
    restartedBefore: [],
  };
  const lost = filesLost ? [containerLostNotice("the test scripted a lost container")] : [];
  return {
    status,
    stdout: collector.stdout,
    stderr: collector.stderr,
    error: result.error,
    displays: collector.displays,
    images: collector.images,
    files: result.files,
    durationMs: result.durationMs,
    notices: [...lost, ...resultNotices(result, limits), ...(run.notices ?? []), ...collector.notices()],
    kernelRestarted,
    filesLost,
  };
}

/** Runs the responder; once interrupted, waits at most `graceMs` more for it to stop. */
function settle(
  responder: Responder,
  context: ScriptContext,
  interrupt: AbortSignal,
  graceMs: number,
): Promise<Outcome> {
  const work: Promise<Outcome> = Promise.resolve()
    .then(() => responder(context))
    .then(
      (run): Outcome => ({ kind: "returned", run }),
      (error: unknown): Outcome => ({ kind: "threw", error }),
    );
  let timer: NodeJS.Timeout | undefined;
  const onInterrupt = () => {
    timer = setTimeout(() => resolveStuck({ kind: "stuck" }), graceMs);
  };
  let resolveStuck: (outcome: Outcome) => void = () => undefined;
  const stuck = new Promise<Outcome>((resolve) => {
    resolveStuck = resolve;
  });
  if (interrupt.aborted) onInterrupt();
  else interrupt.addEventListener("abort", onInterrupt, { once: true });
  return Promise.race([work, stuck]).finally(() => {
    clearTimeout(timer);
    interrupt.removeEventListener("abort", onInterrupt);
  });
}

function sleep(ms: number, interrupt: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (interrupt.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      interrupt.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    interrupt.addEventListener("abort", onAbort, { once: true });
  });
}

/** /mnt/data under the names Python code uses: relative, or absolute below /mnt/data/. */
function pythonFiles(folder: MemoryDataFolder, live: () => void): ScriptFiles {
  const relative = (path: string) => (path.startsWith("/mnt/data/") ? path.slice("/mnt/data/".length) : path);
  return {
    read: (path) => folder.read(relative(path)),
    write: (path, data) => {
      live();
      folder.write(relative(path), data);
    },
    has: (path) => folder.has(relative(path)),
    remove: (path) => {
      live();
      return folder.remove(relative(path));
    },
  };
}

function figureDisplay(png: Buffer): DisplayOutput {
  const size = pngSize(png);
  if (!size) throw new Error("a scripted image must be PNG bytes (see renderFigure)");
  return { isResult: false, text: `<Figure size ${size.width}x${size.height}>`, png };
}

/** The supervisor's cap on stdout and stderr together; what is cut is counted per stream. */
class SupervisorOutput {
  readonly truncated = { stdout: 0, stderr: 0 };
  private kept = 0;

  constructor(
    private readonly limit: number,
    private readonly collector: OutputCollector,
  ) {}

  text(stream: "stdout" | "stderr", text: string): void {
    const room = Math.max(this.limit - this.kept, 0);
    const kept = text.slice(0, room);
    this.truncated[stream] += text.length - kept.length;
    this.kept += kept.length;
    if (kept) this.collector.add({ type: stream, text: kept });
  }

  display(display: DisplayOutput): void {
    if (display.png && !pngSize(display.png)) throw new Error("a scripted display's png must be PNG bytes");
    this.collector.add({ type: "display", display });
  }
}

function cancelledBeforeStart(collector: OutputCollector, durationMs: number): Execution {
  return {
    status: "cancelled",
    stdout: collector.stdout,
    stderr: collector.stderr,
    error: null,
    displays: [],
    images: [],
    files: [],
    durationMs,
    notices: [cancelledBeforeRunNotice("queued")],
    kernelRestarted: false,
    filesLost: false,
  };
}
