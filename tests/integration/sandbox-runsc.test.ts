/**
 * A short check of the sandbox under gVisor that runs in every pass, whatever SANDBOX_RUNTIME
 * says: the default (runc) pass thereby still covers runsc's start-up, network, identity, files
 * and limits. `npm run test:runsc` runs every sandbox test under runsc, where each one states its
 * runtime's promise (see README, "Stronger isolation: gVisor").
 * Needs `scripts/ensure-docker.sh --runsc`; CI runs it.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSandboxUid } from "../../src/sandbox/sandbox-uid.ts";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import {
  createTestSandbox,
  RUNSC_EXECUTION_TIMEOUT_MS,
  TEST_LIMITS,
  type TestSandbox,
  testDocker,
} from "../helpers/sandbox.ts";
import { expectTmpfsLimits } from "../helpers/sandbox-promises.ts";

let sandbox: TestSandbox;
let session: ContainerSession;

beforeAll(async () => {
  // The runsc deadline even in the runc pass: every system call is slower under gVisor
  // (tests/helpers/sandbox.ts).
  sandbox = await createTestSandbox(
    { executionTimeoutMs: RUNSC_EXECUTION_TIMEOUT_MS },
    undefined,
    undefined,
    {
      runtime: "runsc",
      ...(process.env.RUNSC_TEST_IMAGE ? { image: process.env.RUNSC_TEST_IMAGE } : {}),
    },
  );
  session = await sandbox.manager.acquire("runsc");
  await session.execute("state = 'kept'\nopen('/mnt/data/keep.txt', 'w').write('still here')");
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

async function expectFreshSessionWorks(): Promise<void> {
  const run = await session.execute("print(1 + 1)");
  expect(run).toMatchObject({ status: "ok", stdout: "2\n" });
  await session.execute("state = 'kept'\nopen('/mnt/data/keep.txt', 'w').write('still here')");
}

describe("a sandbox under gVisor (runsc)", () => {
  it("gives a new sandbox's first run its whole time limit, though Python's imports are slow here", async () => {
    // The kernel's background import of the data stack takes seconds under gVisor, and a fresh
    // kernel's first run waits for it; the time limit counts from when the code starts.
    const fresh = await sandbox.manager.acquire("runsc-fresh-deadline");
    try {
      const run = await fresh.execute("import time\ntime.sleep(2)\nprint('done')", { timeoutMs: 4_000 });
      expect(run).toMatchObject({ status: "ok", stdout: "done\n" });
    } finally {
      await fresh.close();
    }
  });

  it("runs inside gVisor", async () => {
    const run = await session.execute(
      "import os\nprint(os.uname().release, open('/proc/version').read().split()[0])",
    );
    // The Sentry reports a made-up kernel release; dmesg-style boot lines are gVisor's own.
    expect(run.status).toBe("ok");
    const container = (await sandbox.manager.list()).find((c) => c.running);
    const info = await testDocker()
      .getContainer(container?.id ?? "")
      .inspect();
    expect(info.HostConfig.Runtime).toBe("runsc");
  });

  it("has no network: no DNS and no route", async () => {
    const run = await session.execute(
      "import socket\ntry:\n    socket.gethostbyname('deb.debian.org')\nexcept OSError as e:\n    print('dns', type(e).__name__)\n" +
        "s = socket.socket()\ns.settimeout(2)\ntry:\n    s.connect(('1.1.1.1', 80))\nexcept OSError as e:\n    print('route', e.errno in (101, 113))\n" +
        "print(sorted(n for _, n in socket.if_nameindex()))",
    );
    // gVisor's netstack answers EHOSTUNREACH (113) where Linux says ENETUNREACH (101).
    expect(run.stdout).toBe("dns gaierror\nroute True\n['lo']\n");
  });

  it("runs user code as the container's own non-root uid with no capabilities", async () => {
    const run = await session.execute(
      "import os\nstatus = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n" +
        "print(os.getuid(), os.getgid(), os.getgroups(), status['CapEff'].strip(), status['CapBnd'].strip())",
    );
    // gVisor's /proc/<pid>/status has no NoNewPrivs line; no-new-privileges is still in the spec.
    const [uid, gid, ...rest] = run.stdout.trim().split(" ");
    expect(isSandboxUid(Number(uid))).toBe(true);
    expect(gid).toBe(uid);
    expect(rest.join(" ")).toBe("[] 0000000000000000 0000000000000000");
  });

  it("moves files in and out byte for byte", async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    await session.putFile("upload.bin", payload);
    const run = await session.execute(
      "import hashlib\ndata = open('/mnt/data/upload.bin', 'rb').read()\nopen('/mnt/data/copy.bin', 'wb').write(data[::-1])\nprint(len(data))",
    );
    expect(run.stdout).toBe(`${payload.length}\n`);
    expect(run.files).toEqual(expect.arrayContaining([expect.objectContaining({ path: "copy.bin" })]));
    expect((await session.getFile("copy.bin")).equals(Buffer.from(payload).reverse())).toBe(true);
  });

  it("limits the size of /tmp, /dev/shm and /mnt/data", async () => {
    await expectTmpfsLimits(session);
  });

  it("interrupts an infinite loop at the deadline and keeps the variables", async () => {
    const run = await session.execute("while True:\n    pass");
    expect(run.status).toBe("timeout");
    expect(run.error?.name).toBe("KeyboardInterrupt");
    expect(run.kernelRestarted).toBe(false);
    const after = await session.execute("print(open('/mnt/data/keep.txt').read(), state)");
    expect(after.stdout).toBe("still here kept\n");
  });

  it("reports a memory bomb as out of memory, and the next run works", async () => {
    const run = await session.execute(
      "blocks = []\nwhile True:\n    blocks.append(bytearray(32 * 1024 * 1024))",
    );
    // The host's OOM killer stops the whole sandbox: the bot reads Docker's OOMKilled.
    expect(run.status).toBe("oom");
    expect(run.notices.join(" ")).toMatch(
      new RegExp(`ran out of memory: the limit is ${TEST_LIMITS.memoryMb} MB`),
    );
    await expectFreshSessionWorks();
  });

  it("contains a fork bomb to its own sandbox, and the next run works", async () => {
    const run = await session.execute(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    );
    // Under gVisor a fork bomb ends the whole sandbox, one of two ways: at the host's pids limit
    // gVisor cannot start another stub process, or its processes use up the memory limit first
    // and the host's OOM killer stops it. Either way it stays inside its own sandbox, says why,
    // and the next run works.
    expect(["crashed", "lost", "timeout", "oom"]).toContain(run.status);
    expect(run.notices.join(" ")).toMatch(/stopped|ran out of memory/);
    await expectFreshSessionWorks();
  });
});
