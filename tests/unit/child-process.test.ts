import { describe, expect, it } from "vitest";
import { FatalError } from "../../src/errors.ts";
import { runProcess } from "../../src/sandbox/child-process.ts";

describe("runProcess", () => {
  it("reports the exit code and the last lines of stdout and stderr", async () => {
    const lines: string[] = [];
    const result = await runProcess(
      "sh",
      ["-c", "echo one; echo two >&2; printf '\\033[91mred\\033[0m\\n'; exit 3"],
      {
        onLine: (line) => lines.push(line),
      },
    );
    expect(result.exitCode).toBe(3);
    expect([...lines].sort()).toEqual(["one", "red", "two"]);
    expect(result.tail).toHaveLength(3);
  });

  it("keeps only the last lines asked for", async () => {
    const result = await runProcess("sh", ["-c", "for i in 1 2 3 4 5; do echo $i; done"], { tailLines: 2 });
    expect(result.tail).toEqual(["4", "5"]);
  });

  it("passes arguments without a shell", async () => {
    const result = await runProcess("printf", ["%s|", "a b", "$(id)", "; rm -rf /"]);
    expect(result.tail).toEqual(["a b|$(id)|; rm -rf /|"]);
  });

  it("kills the whole process group when aborted", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = runProcess("sh", ["-c", "sleep 30 & sleep 30; wait"], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 100);
    await expect(running).rejects.toThrow("stop");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("says what to install when the command is missing", async () => {
    const running = runProcess("cib-no-such-command", [], { installHint: "apt-get install it" });
    await expect(running).rejects.toBeInstanceOf(FatalError);
    await expect(running).rejects.toThrow("`cib-no-such-command` is not installed: apt-get install it");
  });
});
