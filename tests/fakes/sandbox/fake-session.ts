/**
 * One conversation's session in the fake sandbox: its /mnt/data and variables live in a
 * SessionState (scripted-run.ts) that outlives this object (as a container outlives the bot process that
 * attached to it). Runs and resets take turns, as in the Docker session.
 */
import type { SandboxLimits } from "../../../src/sandbox/limits.ts";
import type { SandboxSession } from "../../../src/sandbox/sandbox.ts";
import { RequestFailedError } from "../../../src/sandbox/supervisor-client.ts";
import type { ExecuteOptions, Execution, SandboxFile } from "../../../src/sandbox/types.ts";
import { runScripted, type SessionState } from "./scripted-run.ts";
import type { Responder } from "./scripts.ts";

/** One execution, for assertions: which code ran in which session, and what came of it. */
export interface RunRecord {
  key: string;
  code: string;
  /** False when no script matched and the run answered NotScriptedError. */
  scripted: boolean;
  /** Set when the run has finished. */
  execution?: Execution;
}

export interface SessionDeps {
  /** The script for `code`, or null when none matches. */
  find(code: string): { responder: Responder; match: RegExpExecArray | null } | null;
  unscripted: Responder;
  record(run: RunRecord): void;
  now: () => number;
}

export class FakeSession implements SandboxSession {
  readonly location: string;
  closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly key: string,
    readonly limits: SandboxLimits,
    private readonly state: SessionState,
    private readonly deps: SessionDeps,
  ) {
    this.location = `scripted-sandbox:${key}`;
  }

  execute(code: string, options: ExecuteOptions = {}): Promise<Execution> {
    return this.exclusive(async () => {
      this.assertOpen();
      const found = this.deps.find(code);
      const record: RunRecord = { key: this.key, code, scripted: found !== null };
      this.deps.record(record);
      record.execution = await runScripted({
        key: this.key,
        code,
        responder: found?.responder ?? this.deps.unscripted,
        match: found?.match ?? null,
        state: this.state,
        limits: this.limits,
        options,
        now: this.deps.now,
      });
      return record.execution;
    });
  }

  async putFile(path: string, data: Buffer): Promise<void> {
    this.assertOpen();
    const used = this.state.folder.list().reduce((sum, file) => sum + file.size, 0);
    if (used + data.length > this.limits.dataMb * 1024 * 1024) {
      throw new RequestFailedError("No space left on device", "io", null);
    }
    this.state.folder.write(path, data);
  }

  async getFile(path: string, maxBytes = this.limits.maxFileBytes): Promise<Buffer> {
    this.assertOpen();
    return this.state.folder.read(path, maxBytes);
  }

  async listFiles(): Promise<SandboxFile[]> {
    this.assertOpen();
    return this.state.folder.list();
  }

  reset(clearFiles: boolean): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      this.state.variables = new Map();
      if (clearFiles) this.state.folder.clear();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("this sandbox session was closed");
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
