import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import { createTestSandbox, TEST_LIMITS, type TestSandbox, testRuntime } from "../helpers/sandbox.ts";
import { expectTmpfsLimits } from "../helpers/sandbox-promises.ts";

let sandbox: TestSandbox;
let session: ContainerSession;
const deadline = TEST_LIMITS.executionTimeoutMs;
const grace = TEST_LIMITS.interruptGraceMs;

beforeAll(async () => {
  sandbox = await createTestSandbox();
  session = await sandbox.manager.acquire("limits");
  await session.execute("state = 'kept'\nopen('/mnt/data/keep.txt', 'w').write('still here')");
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

async function expectSessionHealthy(expectVariables: boolean): Promise<void> {
  const run = await session.execute(
    "print(open('/mnt/data/keep.txt').read())\nprint(globals().get('state'))",
  );
  expect(run.status).toBe("ok");
  expect(run.stdout).toBe(`still here\n${expectVariables ? "kept" : "None"}\n`);
  if (!expectVariables) await session.execute("state = 'kept'");
}

describe("sandbox limits", () => {
  it("interrupts an infinite loop at the deadline and keeps the variables", async () => {
    const started = Date.now();
    const run = await session.execute("while True:\n    pass");
    const elapsed = Date.now() - started;
    expect(run.status).toBe("timeout");
    expect(run.error?.name).toBe("KeyboardInterrupt");
    expect(run.kernelRestarted).toBe(false);
    expect(run.notices.join(" ")).toContain(`stopped after ${deadline / 1000} s`);
    expect(elapsed).toBeGreaterThanOrEqual(deadline - 50);
    expect(elapsed).toBeLessThan(deadline + grace);
    await expectSessionHealthy(true);
  });

  it("restarts Python when the code ignores KeyboardInterrupt, keeping the files", async () => {
    const started = Date.now();
    const run = await session.execute(
      "import time\nwhile True:\n    try:\n        time.sleep(60)\n    except KeyboardInterrupt:\n        pass",
    );
    const elapsed = Date.now() - started;
    expect(run.status).toBe("timeout");
    expect(run.kernelRestarted).toBe(true);
    expect(run.filesLost).toBe(false);
    expect(run.notices.join(" ")).toMatch(/did not stop within 1.5 s .* variables and imports are gone/);
    expect(elapsed).toBeLessThan(deadline + grace + 1_500);
    await expectSessionHealthy(false);
  });

  it("contains a fork bomb and says so", async () => {
    const run = await session.execute(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    );
    const notices = run.notices.join(" ");
    if (testRuntime() === "runsc") {
      // Under gVisor each fork of the kernel costs about 30 MB of the sandbox's memory (0.55 MB
      // under runc, measured with numpy and pandas loaded), so the bomb meets the memory limit
      // long before RLIMIT_NPROC's 64: the whole sandbox stops, as for a memory bomb.
      expect(run.status).toBe("oom");
      expect(notices).toMatch(/ran out of memory: the limit is 384 MB/);
      await session.execute("open('/mnt/data/keep.txt', 'w').write('still here')");
    } else {
      expect(run.status).toBe("timeout");
      expect(notices).toMatch(/more processes than the sandbox allows \(64\)/);
      expect(notices).toMatch(/background process\(es\) the code started were stopped/);
    }
    await expectSessionHealthy(false);
    const ps = await session.execute(
      "import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))",
    );
    // init, the supervisor, the kernel and ls-free listing: nothing left of the bomb.
    expect(Number(ps.stdout.trim())).toBeLessThanOrEqual(4);
  });

  it("reports a memory bomb as out of memory, and the next run works", async () => {
    const run = await session.execute(
      "blocks = []\nwhile True:\n    blocks.append(bytearray(32 * 1024 * 1024))",
    );
    expect(run.status).toBe("oom");
    if (testRuntime() === "runsc") {
      // gVisor's memory is one host cgroup: the host's OOM killer stops the whole sandbox, not
      // just Python, so /mnt/data goes with it (the bot keeps files outside; this fixture does not).
      expect(run.notices.join(" ")).toMatch(/ran out of memory: the limit is 384 MB/);
      await session.execute("open('/mnt/data/keep.txt', 'w').write('still here')");
    } else {
      expect(run.kernelRestarted).toBe(true);
      expect(run.notices.join(" ")).toMatch(/ran out of memory \(the limit is 384 MB\)/);
    }
    await expectSessionHealthy(false);
  });

  it.each([
    ["os._exit", "import os\nos._exit(3)", /exited with code 3/],
    ["kill -9 of the kernel", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", /signal SIGKILL/],
    ["a segfault", "import ctypes\nctypes.string_at(0)", /signal SIGSEGV/],
  ])("reports %s as a crash and recovers", async (_label, code, reason) => {
    const run = await session.execute(code);
    expect(run.status).toBe("crashed");
    expect(run.notices.join(" ")).toMatch(reason);
    await expectSessionHealthy(false);
  });

  it("limits the size of /tmp, /dev/shm and /mnt/data", async () => {
    await expectTmpfsLimits(session);
  });

  it("cuts 200 MB of output with a note, and the bot's memory stays bounded", async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let streamed = 0;
    const run = await session.execute(
      "line = 'x' * 999 + '\\n'\nfor _ in range(200_000):\n    print(line, end='')",
      {
        timeoutMs: 60_000,
        onOutput: (event) => {
          if (event.type === "stdout") streamed += event.text.length;
        },
      },
    );
    const grown = process.memoryUsage().rss - before;
    expect(run.status).toBe("ok");
    expect(run.stdout.length).toBe(TEST_LIMITS.outputLimitBytes);
    expect(streamed).toBe(TEST_LIMITS.outputLimitBytes);
    expect(run.notices.join(" ")).toMatch(/Output was cut at 256\.0 KB: 190\.5 MB of stdout not shown/);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });
});
