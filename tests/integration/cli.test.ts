import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCliCaptured } from "../helpers/cli.ts";
import { sandboxImage, testDocker } from "../helpers/sandbox.ts";

const run = promisify(execFile);
/** Run with `docker exec` beside the supervisor: kills the kernel and returns once it is dead. */
const KILL_KERNEL = [
  "import os, signal, time",
  "def state(p):",
  "    try:",
  "        return open('/proc/%d/stat' % p).read().rsplit(')', 1)[1].split()[0]",
  "    except OSError:",
  "        return 'gone'",
  "for p in os.listdir('/proc'):",
  "    if p.isdigit() and b'kernel.py' in open('/proc/%s/cmdline' % p, 'rb').read():",
  "        os.kill(int(p), signal.SIGKILL)",
  "        while state(int(p)) not in ('Z', 'X', 'gone'):",
  "            time.sleep(0.01)",
].join("\n");
const BIN = path.resolve(import.meta.dirname, "../../bin/code-interpreter-bot.js");
const session = `test-${randomUUID().slice(0, 8)}`;
const env = { ...process.env, SANDBOX_TIMEOUT_SECONDS: "5", SANDBOX_INTERRUPT_GRACE_SECONDS: "1" };

async function cli(args: string[], stdinText?: string): Promise<CliResult> {
  return runCliCaptured(args, env, stdinText);
}

beforeAll(async () => {
  await sandboxImage();
}, 900_000);

afterAll(async () => {
  await cli(["close", session]);
});

describe("code-interpreter-bot exec", () => {
  it("prints one JSON object with the result", async () => {
    const result = await cli(["exec", "--json", "print('hi')\n6 * 7"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      status: "ok",
      stdout: "hi\n",
      stderr: "",
      error: null,
      result: { text: "42" },
      images: [],
      files: [],
      session: null,
    });
    expect(report.durationMs).toBeGreaterThan(0);
  });

  it("reports a Python error with exit code 1", async () => {
    const result = await cli(["exec", "--json", "int('x')"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "error", error: { name: "ValueError" } });
  });

  it("reads code from a file or standard input, and saves images and files to --out", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "cib-cli-out-"));
    const code =
      "import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nplt.show()\n" +
      "open('/mnt/data/report.csv', 'w').write('a,b\\n1,2\\n')";
    const result = await cli(["exec", "--json", "--out", out, "--file", "-"], code);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.images).toEqual([expect.objectContaining({ width: 800, height: 500 })]);
    expect(report.files).toEqual([expect.objectContaining({ path: "report.csv", mime: "text/csv" })]);
    expect((await readdir(out)).sort()).toEqual(["image-1.png", "report.csv"]);
    expect(await readFile(path.join(out, "report.csv"), "utf8")).toBe("a,b\n1,2\n");
    expect((await sharp(path.join(out, "image-1.png")).metadata()).width).toBe(800);
  });

  it("prints a human summary with streamed output and notes", async () => {
    const result = await cli(["exec", "--timeout", "1", "print('start', flush=True)\nwhile True: pass"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("start\n");
    expect(result.stderr).toMatch(/KeyboardInterrupt/);
    expect(result.stderr).toMatch(/status: timeout/);
  });

  it("keeps a named session between separate processes until it is closed", async () => {
    const first = await run(process.execPath, [BIN, "exec", "--session", session, "counter = 41"], { env });
    expect(first.stderr).toMatch(/status: ok/);
    const second = await run(process.execPath, [BIN, "exec", "--session", session, "--json", "counter + 1"], {
      env,
    });
    expect(JSON.parse(second.stdout)).toMatchObject({ status: "ok", result: { text: "42" }, session });
    const listed = await cli(["sessions"]);
    expect(listed.stdout).toContain(session);
    expect((await cli(["close", session])).stdout).toBe(`Closed session ${session}.\n`);
    expect((await cli(["sessions"])).stdout).not.toContain(session);
  });

  it("says, in the next call, that Python or the whole container died between two calls", async () => {
    const name = `${session}-loss`;
    const container = async () => {
      const [found] = await testDocker().listContainers({
        filters: { label: [`code-interpreter-bot.session=${name}`] },
      });
      if (!found) throw new Error(`no container for session ${name}`);
      return testDocker().getContainer(found.Id);
    };
    try {
      expect(
        (await cli(["exec", "--session", name, "x = 1\nopen('kept.txt', 'w').write('kept')"])).code,
      ).toBe(0);
      // Kill Python from outside, while no CLI process is attached.
      const killer = await (await container()).exec({
        Cmd: ["python3", "-c", KILL_KERNEL],
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await killer.start({ hijack: true, stdin: false });
      await new Promise((resolve) => stream.on("end", resolve));
      const afterKill = JSON.parse(
        (await cli(["exec", "--session", name, "--json", "print(globals().get('x'))"])).stdout,
      );
      expect(afterKill.stdout).toBe("None\n");
      expect(afterKill.notices.join(" ")).toMatch(
        /Python restarted since the last run \(.*signal SIGKILL.*\)/,
      );

      await (await container()).remove({ force: true });
      const afterRemoval = JSON.parse(
        (await cli(["exec", "--session", name, "--json", "print(open('kept.txt').read())"])).stdout,
      );
      expect(afterRemoval.stdout).toBe("kept\n");
      expect(afterRemoval.notices.join(" ")).toContain(
        "This conversation's sandbox had stopped, so a new one was started: variables and imports from before are gone; 1 file(s)",
      );
    } finally {
      await cli(["close", name]);
    }
  });

  it("suspends a named session on request and resumes it with its variables and files", async () => {
    const name = `${session}-suspend`;
    try {
      expect((await cli(["exec", "--session", name, "x = 41\nopen('n.txt', 'w').write('n')"])).code).toBe(0);
      const suspended = await cli(["suspend", name]);
      expect(suspended.stdout).toContain(`Suspended session ${name}`);
      const listed = JSON.parse((await cli(["sessions", "--json"])).stdout) as Array<Record<string, unknown>>;
      expect(listed.find((entry) => entry.key === name)).toMatchObject({
        state: "suspended",
        container: null,
      });
      expect(Number(listed.find((entry) => entry.key === name)?.keptBytes)).toBeGreaterThan(0);
      const resumed = JSON.parse(
        (await cli(["exec", "--session", name, "--json", "print(x + 1, open('n.txt').read())"])).stdout,
      );
      expect(resumed.stdout).toBe("42 n\n");
      expect(resumed.notices.join(" ")).toContain(
        "This conversation's sandbox was suspended and is back: restored 1 variable(s) (`x`)",
      );
      expect((await cli(["suspend", `${name}-missing`])).code).toBe(1);
    } finally {
      await cli(["close", name]);
    }
    expect(
      JSON.parse((await cli(["sessions", "--json"])).stdout).some(
        (entry: { key: string }) => entry.key === name,
      ),
    ).toBe(false);
  });

  it("runs code even when a chat platform's settings are incomplete, and warns about them", async () => {
    const result = await runCliCaptured(["exec", "print('still works')"], {
      ...env,
      SLACK_BOT_TOKEN: "xoxb-only",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("still works");
    expect(result.stderr).toContain(
      "warning: Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET",
    );
  });

  it("lists the image's libraries with their versions, as text and as JSON", async () => {
    const text = await cli(["libraries"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Sandbox image code-interpreter-bot-sandbox:\w+: Python 3\.\d+\.\d+$/m);
    expect(text.stdout).toMatch(/^Machine learning\n {2}scikit-learn \(sklearn\) +\d+\.\d+/m);
    expect(text.stdout).toMatch(/^ {2}tesseract \d+\.\d+\.\d+ +OCR of images/m);
    const json = await cli(["libraries", "--json"]);
    const census = JSON.parse(json.stdout) as { image: string; distributions: Array<{ name: string }> };
    expect(census.image).toMatch(/^code-interpreter-bot-sandbox:/);
    expect(census.distributions.map((d) => d.name)).toContain("xgboost");
    expect(text.stdout).toContain(`Every Python distribution installed (${census.distributions.length})`);
  });

  it("explains usage mistakes", async () => {
    expect((await cli(["exec", "--timeout", "soon", "1"])).stderr).toMatch(/--timeout soon/);
    expect((await cli(["frobnicate"])).code).toBe(2);
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--session NAME/);
  });
});
