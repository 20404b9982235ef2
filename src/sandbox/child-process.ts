import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { FatalError } from "../errors.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point.
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** How a child process ended, with its last output lines for error messages. */
export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  tail: string[];
}

export interface StartProcessOptions {
  /** Receives every line of stderr, and of stdout unless `pipeStdout` is set. */
  onLine?: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** Fed to the child's stdin; without it stdin is closed. */
  stdin?: Readable;
  /** Leave stdout unread so the caller can pipe it into another process. */
  pipeStdout?: boolean;
  tailLines?: number;
  /** Said in the FatalError thrown when the command is not installed. */
  installHint?: string;
}

export interface StartedProcess {
  child: ChildProcess;
  /** Resolves however the process exits; rejects only if it could not start or was aborted. */
  done: Promise<ProcessResult>;
}

/**
 * Spawns a command with an argument array (never a shell) in its own process group, so that an
 * abort ends the whole tree: debootstrap, for one, is a shell script whose dpkg children would
 * otherwise go on writing into a directory we are about to delete.
 */
export function startProcess(
  command: string,
  args: string[],
  options: StartProcessOptions = {},
): StartedProcess {
  const { signal } = options;
  const maxTail = options.tailLines ?? 30;
  const tail: string[] = [];
  const child = spawn(command, args, {
    stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    detached: true,
  });
  const readLines = (stream: Readable | null) => {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (raw) => {
      // docker build colours its RUN steps' stderr; colour codes only garble logs and error messages.
      const line = raw.replace(ANSI_ESCAPE, "");
      tail.push(line);
      if (tail.length > maxTail) tail.shift();
      options.onLine?.(line);
    });
  };
  readLines(child.stderr);
  if (!options.pipeStdout) readLines(child.stdout);
  if (options.stdin && child.stdin) {
    // The reader may exit first (a failing `docker import`); its exit code tells why, not EPIPE.
    child.stdin.on("error", () => {});
    options.stdin.pipe(child.stdin);
  }

  const kill = () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  };
  signal?.addEventListener("abort", kill, { once: true });

  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener("abort", kill);
      if (error.code === "ENOENT") {
        const hint = options.installHint ? `: ${options.installHint}` : "";
        reject(new FatalError("command-missing", `\`${command}\` is not installed${hint}`, error));
      } else {
        reject(error);
      }
    });
    child.once("close", (exitCode, exitSignal) => {
      signal?.removeEventListener("abort", kill);
      if (signal?.aborted) reject(signal.reason);
      else resolve({ exitCode, signal: exitSignal, tail });
    });
  });
  if (signal?.aborted) kill();
  return { child, done };
}

export function runProcess(
  command: string,
  args: string[],
  options: Omit<StartProcessOptions, "pipeStdout"> = {},
): Promise<ProcessResult> {
  return startProcess(command, args, options).done;
}

export function describeExit(result: ProcessResult): string {
  return result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
}
