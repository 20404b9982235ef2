/**
 * One `docker build` through the CLI (the classic builder reads a context directory the API
 * would need as a tar), its output streamed line by line and its last lines kept for the
 * error that says why it failed. Shared by the sandbox image and the bot's own image.
 */
import { FatalError } from "../errors.ts";
import { describeExit, runProcess } from "./child-process.ts";

/** Enough of a failed build's output to show the failing step and its error. */
const BUILD_OUTPUT_LINES_IN_ERRORS = 40;

export async function dockerBuild(
  args: readonly string[],
  options: {
    ref: string;
    errorCode: string;
    onLine: (line: string) => void;
    signal?: AbortSignal | undefined;
  },
): Promise<void> {
  const result = await runProcess("docker", ["build", ...args], {
    onLine: options.onLine,
    signal: options.signal,
    tailLines: BUILD_OUTPUT_LINES_IN_ERRORS,
    installHint: "install Docker (apt-get install docker.io) or run scripts/ensure-docker.sh",
  });
  if (result.exitCode !== 0) {
    throw new FatalError(
      options.errorCode,
      `docker build of ${options.ref} ${describeExit(result)}. Its last output:\n${result.tail.join("\n")}`,
    );
  }
}
