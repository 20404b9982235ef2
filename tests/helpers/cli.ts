/** Runs the CLI in-process with captured standard streams, as a separate invocation would. */
import { PassThrough, Readable } from "node:stream";
import { runCli } from "../../src/cli.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Without `stdinText`, standard input behaves like a terminal (nothing piped in). */
export async function runCliCaptured(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdinText?: string,
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  const stdin = Object.assign(Readable.from(stdinText === undefined ? [] : [stdinText]), {
    isTTY: stdinText === undefined,
  });
  const code = await runCli(args, { stdin, stdout, stderr }, env);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
