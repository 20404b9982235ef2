/** `code-interpreter-bot exec`: one run in a sandbox session, from a terminal. */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { text as readStream } from "node:stream/consumers";
import { parseArgs } from "node:util";
import type { SandboxManager } from "../sandbox/session-manager.ts";
import type { RunStage } from "../sandbox/types.ts";
import { buildReport, printHumanSummary } from "./exec-output.ts";
import { checkName, UsageError } from "./usage-error.ts";

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

async function readCode(positional: string[], file: string | undefined, io: CliIo): Promise<string> {
  if (positional.length > 1) throw new UsageError("give the code as one argument (quote it), or use --file");
  if (positional.length === 1 && file)
    throw new UsageError("give the code either as an argument or with --file, not both");
  if (positional[0] !== undefined) return positional[0];
  if (file && file !== "-") return readFile(file, "utf8");
  if (file === "-" || !io.stdin.isTTY) return readStream(io.stdin);
  throw new UsageError("no code: pass it as an argument, with --file PATH, or on standard input");
}

/** What holds the run up before its code starts, on stderr the way `ask` says that it waits. */
function stageLine(stage: RunStage): string | null {
  switch (stage.stage) {
    case "queued":
      return `(queued: ${stage.ahead === 0 ? "next in line" : `${stage.ahead} ahead`})\n`;
    case "starting":
      return "(starting a sandbox)\n";
    case "restoring":
      return "(restoring kept files and variables)\n";
    case "running":
      return null;
  }
}

export async function execCommand(args: string[], manager: SandboxManager, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      session: { type: "string" },
      file: { type: "string" },
      timeout: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && timeoutSeconds <= 86_400)) {
    throw new UsageError(`--timeout ${values.timeout}: give a number of seconds from 1 to 86400`);
  }
  checkName("--session", values.session);
  const code = await readCode(positionals, values.file, io);
  const sessionName = values.session ?? null;
  const session = await manager.acquire(sessionName ?? `exec-${randomUUID()}`);

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const execution = await session.execute(code, {
      signal: controller.signal,
      ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
      ...(values.json
        ? {}
        : {
            onOutput: (event) => {
              if (event.type === "stdout") io.stdout.write(event.text);
              else if (event.type === "stderr") io.stderr.write(event.text);
            },
            onStage: (stage) => {
              const line = stageLine(stage);
              if (line) io.stderr.write(line);
            },
          }),
    });
    const report = await buildReport(execution, session, sessionName, values.out ?? null);
    if (values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printHumanSummary(report, io.stdout, io.stderr);
    return execution.status === "ok" ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
    if (sessionName === null) await session.close();
    else await session.detach();
  }
}
