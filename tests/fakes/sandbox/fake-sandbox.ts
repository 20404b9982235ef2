/**
 * A scripted, in-memory Sandbox for tests that need no Docker: the core and the adapters
 * run against it as against SandboxManager. Each conversation gets its own /mnt/data and
 * variables; code runs only if a test scripted it (`script(matcher, responder)`), and code
 * nobody scripted comes back as a Python error naming the gap, so a test fails loudly
 * instead of passing on made-up output. The one piece of Python the core sends by itself,
 * the table preview, is scripted from the start.
 *
 *   const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
 *   sandbox.script("print(1 + 1)", () => ({ stdout: "2\n" }));
 *   sandbox.script(/plt\.plot/, async () => ({ images: [await renderFigure()] }));
 */
import { DEFAULT_LIMITS, type SandboxLimits } from "../../../src/sandbox/limits.ts";
import type { Sandbox } from "../../../src/sandbox/sandbox.ts";
import { MemoryDataFolder } from "./data-folder.ts";
import { FakeSession, type RunRecord } from "./fake-session.ts";
import type { SessionState } from "./scripted-run.ts";
import { type CodeMatcher, pythonError, type Responder, ScriptBook, type ScriptHandle } from "./scripts.ts";
import { TABLE_PREVIEW_CODE, tablePreview } from "./table-preview.ts";

export type { FakeSession, RunRecord } from "./fake-session.ts";
export { DEFAULT_FIGURE, type FigureOptions, renderFigure } from "./figures.ts";
export {
  type CodeMatcher,
  pythonError,
  type Responder,
  type ScriptContext,
  type ScriptedRun,
  type ScriptFiles,
  type ScriptHandle,
} from "./scripts.ts";

export interface FakeSandboxOptions {
  limits?: Partial<SandboxLimits>;
  now?: () => number;
}

export class FakeSandbox implements Sandbox {
  readonly limits: SandboxLimits;
  /** Every key a session was asked for, in order: a refused request must leave none. */
  readonly acquired: string[] = [];
  private readonly book = new ScriptBook();
  private readonly states = new Map<string, SessionState>();
  private readonly sessions = new Map<string, FakeSession>();
  private readonly history: RunRecord[] = [];
  private readonly now: () => number;

  constructor(options: FakeSandboxOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.book.add(TABLE_PREVIEW_CODE, tablePreview);
  }

  /** Answers code that `matcher` accepts with `responder`; the latest matching script wins. */
  script(matcher: CodeMatcher, responder: Responder): ScriptHandle {
    return this.book.add(matcher, responder);
  }

  async acquire(key: string): Promise<FakeSession> {
    this.acquired.push(key);
    const existing = this.sessions.get(key);
    if (existing && !existing.closed) return existing;
    let state = this.states.get(key);
    if (!state) {
      state = { folder: new MemoryDataFolder(this.now), variables: new Map() };
      this.states.set(key, state);
    }
    const session = new FakeSession(key, this.limits, state, {
      find: (code) => this.book.find(code),
      unscripted: notScripted,
      record: (run) => this.history.push(run),
      now: this.now,
    });
    this.sessions.set(key, session);
    return session;
  }

  async close(key: string): Promise<boolean> {
    const session = this.sessions.get(key);
    if (session) session.closed = true;
    this.sessions.delete(key);
    return this.states.delete(key);
  }

  /** Every key handed over, in order (replicas hand a conversation over at the end of its turn). */
  readonly handedOver: string[] = [];

  /** Lets go of one session; its files and variables stay for the next acquire, as a container does. */
  async handOver(key: string): Promise<void> {
    this.handedOver.push(key);
    this.sessions.delete(key);
  }

  /** Lets go of the sessions; their files and variables stay for the next acquire, as containers do. */
  async shutdown(): Promise<void> {
    this.sessions.clear();
  }

  /** Every run, oldest first; only one conversation's with `key`. */
  runs(key?: string): RunRecord[] {
    return this.history.filter((run) => key === undefined || run.key === key);
  }

  /** The code each run of a conversation was given, oldest first. */
  executed(key: string): string[] {
    return this.runs(key).map((run) => run.code);
  }

  /** Runs no script answered: a test that scripted what it meant to run ends with none. */
  unscripted(): RunRecord[] {
    return this.history.filter((run) => !run.scripted);
  }
}

const notScripted: Responder = ({ code }) => ({
  error: pythonError(
    "NotScriptedError",
    "the fake sandbox has no script for this code; give it one with sandbox.script(code, responder)",
    code,
  ),
});
