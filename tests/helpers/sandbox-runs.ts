/** Runs in a test's sandbox session whose failure says why, not only what. */
import { expect } from "vitest";
import type { ExecuteOptions, Execution } from "../../src/sandbox/types.ts";

/** What a failed expectation on a run prints. */
export function describeRun(run: Execution): string {
  const { status, stdout, stderr, error, notices, kernelRestarted, filesLost } = run;
  return JSON.stringify({ status, stdout, stderr, error, notices, kernelRestarted, filesLost });
}

/** Runs code that must succeed; a failure shows all of what came back. */
export async function runOk(
  session: { execute(code: string, options?: ExecuteOptions): Promise<Execution> },
  code: string,
  options: ExecuteOptions = {},
): Promise<Execution> {
  const execution = await session.execute(code, options);
  expect(execution.status, describeRun(execution)).toBe("ok");
  return execution;
}

/** The run's last line of output, where the tests print what they compare. */
export function lastLine(execution: Execution): string {
  return execution.stdout.trim().split("\n").at(-1) ?? "";
}
