/**
 * Code in a session, written as an attacker would write it, against the sandbox's promises:
 * it cannot reach the supervisor or PID 1, forge a later run's result or a reset, flood the
 * bot's log, hang file transfer, use up what another session needs, or silence later runs.
 */
import { readFile } from "node:fs/promises";
import { PassThrough, Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isSandboxUid } from "../../src/sandbox/sandbox-uid.ts";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import {
  createTestSandbox,
  TEST_LIMITS,
  type TestSandbox,
  testDocker,
  testRuntime,
  testTimeout,
} from "../helpers/sandbox.ts";
import { describeRun } from "../helpers/sandbox-runs.ts";

const logLines: string[] = [];
let sandbox: TestSandbox;
let session: ContainerSession;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  sandbox = await createTestSandbox({}, undefined, pino({ level: "warn" }, sink));
  session = await sandbox.manager.acquire("integrity");
  await session.execute("open('/mnt/data/keep.txt', 'w').write('kept')");
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

async function expectFilesKept(): Promise<void> {
  const run = await session.execute("print(open('/mnt/data/keep.txt').read())");
  expect(run.stdout, describeRun(run)).toBe("kept\n");
}

/** Runs a command in the container beside the supervisor (as `docker exec` does) and returns its stdout. */
async function execInContainer(container: string, command: string[]): Promise<string> {
  const exec = await testDocker()
    .getContainer(container)
    .exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  testDocker().modem.demuxStream(stream, stdout, new PassThrough());
  await new Promise((resolve) => stream.on("end", resolve));
  return Buffer.concat(chunks).toString();
}

/** The host process Docker reports for a runsc container is gVisor's Sentry: it runs under a seccomp filter. */
async function expectSentryFiltered(container: string): Promise<void> {
  const info = await testDocker().getContainer(container).inspect();
  expect(info.HostConfig.Runtime).toBe("runsc");
  const status = await readFile(`/proc/${info.State.Pid}/status`, "utf8");
  expect(status).toMatch(/^Seccomp:\s+2$/m);
}

/**
 * Python that waits for the run that started it to end, then for `seconds` writes `payload`
 * to every write-only pipe it holds (the kernel's channel among them) and to the supervisor's
 * and PID 1's stdout.
 */
function forgerLoop(payload: string, seconds: number): string {
  return String.raw`
import fcntl, os, stat, time
time.sleep(0.5)
lines = ${JSON.stringify(payload)}.encode() + b"\n"
end = time.time() + ${seconds}
while time.time() < end:
    for fd in range(3, 400):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                os.write(fd, lines)
        except OSError:
            pass
    for target in ('/proc/%d/fd/1' % os.getppid(), '/proc/1/fd/1'):
        try:
            with open(target, 'wb') as handle:
                handle.write(lines)
        except OSError:
            pass
    time.sleep(0.05)
`;
}

const FORGED = [
  '{"type":"result","id":"x","status":"ok","duration_ms":1,"files":[]}',
  '{"type":"stream","run":"x","name":"stdout","text":"FORGED"}',
  '{"type":"done","run":"x","status":"ok","error":null}',
  '{"type":"ready"}',
].join("\n");

describe("sandbox integrity", () => {
  it("keeps the supervisor and PID 1 out of user code's reach", async () => {
    const run = await session.execute(`
import ctypes, errno, os, signal
libc = ctypes.CDLL(None, use_errno=True)
supervisor = os.getppid()
def attempt(name, action):
    try:
        action()
        print(name, 'ALLOWED')
    except OSError as error:
        print(name, errno.errorcode.get(error.errno, error.errno))
def ptrace_attach(pid):
    if libc.ptrace(16, pid, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), 'ptrace')
for pid, who in ((supervisor, 'supervisor'), (1, 'init')):
    attempt(who + ' SIGSTOP', lambda: os.kill(pid, signal.SIGSTOP))
    attempt(who + ' ptrace', lambda: ptrace_attach(pid))
    attempt(who + ' mem', lambda: open('/proc/%d/mem' % pid, 'r+b'))
    attempt(who + ' stdin', lambda: open('/proc/%d/fd/0' % pid, 'rb'))
    attempt(who + ' stdout', lambda: open('/proc/%d/fd/1' % pid, 'wb'))
    attempt(who + ' environ', lambda: open('/proc/%d/environ' % pid, 'rb').read())
    attempt(who + ' oom_score_adj', lambda: open('/proc/%d/oom_score_adj' % pid, 'w').write('1000'))
print('own oom_score_adj', open('/proc/self/oom_score_adj').read().strip())
`);
    expect(run.status).toBe("ok");
    const lines = run.stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("own oom_score_adj 1000");
    const verdicts = lines.slice(0, -1);
    expect(verdicts).toHaveLength(14);
    for (const verdict of verdicts) {
      // gVisor's procfs (runsc 20221219) lets another uid read /proc/<pid>/environ, which Linux
      // guards like ptrace. What it shows is the image's environment and nothing of the bot's
      // (containerSpec sends no Env; sandbox-isolation checks /proc/1/environ for secrets).
      if (testRuntime() === "runsc" && verdict.includes(" environ ")) continue;
      expect(verdict).toMatch(/ (EPERM|EACCES)$/);
    }
  });

  it("stops what a run leaves behind, so it cannot forge the next run's result", async () => {
    const attacker = forgerLoop(FORGED, 8);
    const first = await session.execute(`
import os, subprocess, sys
if os.fork() == 0:
    exec(${JSON.stringify(attacker)})
    os._exit(0)
subprocess.Popen([sys.executable, '-c', ${JSON.stringify(attacker)}], start_new_session=True)
print('left two forgers behind')
`);
    expect(first.stdout).toBe("left two forgers behind\n");
    expect(first.notices.join(" ")).toMatch(/2 background process\(es\) the code started were stopped/);

    const second = await session.execute("import time\ntime.sleep(1)\nprint('genuine')");
    expect(second.status).toBe("ok");
    expect(second.stdout).toBe("genuine\n");
    expect(second.kernelRestarted).toBe(false);

    const processes = await session.execute(
      "import os\nmine = [p for p in os.listdir('/proc') if p.isdigit() and os.stat('/proc/' + p).st_uid == os.getuid()]\nprint(mine == [str(os.getpid())])",
    );
    expect(processes.stdout).toBe("True\n");
  });

  it("collects the children a run leaves unreaped, so they do not hold its pids", async () => {
    const run = await session.execute(
      "import os\nfor _ in range(40):\n    if os.fork() == 0:\n        os._exit(0)\nprint('left 40 zombies')",
    );
    expect(run.stdout).toBe("left 40 zombies\n");
    // Looked at from outside the session, between runs: no process of the container is a zombie.
    const states = () =>
      execInContainer(session.containerName, [
        "python3",
        "-c",
        "import os\nfor p in os.listdir('/proc'):\n    if p.isdigit():\n        print(open('/proc/%s/stat' % p).read().rsplit(')', 1)[1].split()[0])",
      ]);
    await vi.waitFor(
      async () => {
        const seen = await states();
        expect(seen.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(3);
        expect(seen).not.toMatch(/^Z$/m);
      },
      // A `docker exec` of Python into a gVisor sandbox alone can take seconds on a busy machine.
      { timeout: testTimeout(10_000), interval: 100 },
    );
  });

  it("cannot fake a reset: the kernel really restarts", async () => {
    const before = await session.execute(String.raw`
import os, subprocess, sys
secret = 'still here'
subprocess.Popen([sys.executable, '-c', ${JSON.stringify(forgerLoop('{"type":"ack","id":"x"}\n{"type":"ready"}', 8))}], start_new_session=True)
print(os.getpid())
`);
    await session.reset(false);
    const after = await session.execute("import os\nprint(os.getpid(), globals().get('secret'))");
    const [pid, secret] = after.stdout.trim().split(" ");
    expect(pid).not.toBe(before.stdout.trim());
    expect(secret).toBe("None");
    await expectFilesKept();
  });

  it("restarts Python once for a flood of malformed control lines, and logs it once", async () => {
    logLines.length = 0;
    const run = await session.execute(String.raw`
import fcntl, os, stat
for fd in range(200, 220):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
            for _ in range(200):
                os.write(fd, b'not json\n' * 50 + b'{"type":"done","run":"forged","status":"ok"}\n')
    except OSError:
        pass
`);
    expect(run.status).toBe("crashed");
    expect(run.kernelRestarted).toBe(true);
    expect(run.notices.join(" ")).toMatch(
      /Python was restarted because code in it wrote \d+ forged, malformed or out-of-turn line\(s\)/,
    );
    const next = await session.execute("print('next run fine')");
    expect(next.stdout).toBe("next run fine\n");
    await expectFilesKept();
    const logged = logLines.filter((line) => line.includes("protocol"));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] ?? "{}")).toMatchObject({ lines: expect.any(Number) });
  });

  it("cannot stretch its own time limit by saying again that it started", async () => {
    // The kernel says once per run when the code starts, and the deadline counts from there; the
    // code holds the same channel object, so a second "started" is forged.
    const run = await session.execute(String.raw`
import gc, time
channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel' and hasattr(o, 'start_run'))
time.sleep(1)
channel.send({'type': 'started'})
time.sleep(600)
`);
    expect(run.status).toBe("crashed");
    expect(run.notices.join(" ")).toMatch(/Python was restarted because code in it wrote 1 forged/);
    expect((await session.execute("print('next run fine')")).stdout).toBe("next run fine\n");
    await expectFilesKept();
  });

  it("never blocks on or follows a named pipe or link in /mnt/data", async () => {
    const run = await session.execute(
      "import os\nos.mkfifo('/mnt/data/pipe.csv')\nos.symlink('/etc/passwd', '/mnt/data/link.txt')\n" +
        "os.symlink('/proc/1/environ', '/mnt/data/env.txt')\nopen('/mnt/data/real.txt', 'w').write('real')",
    );
    expect(run.files.map((f) => f.path)).toEqual(["real.txt"]);
    expect(run.notices.join(" ")).toContain(
      "Not listed or sent: env.txt (a symbolic link), link.txt (a symbolic link), pipe.csv (a named pipe).",
    );
    const listed = (await session.listFiles()).map((f) => f.path);
    expect(listed).toContain("real.txt");
    expect(listed).not.toContain("pipe.csv");
    expect(listed).not.toContain("link.txt");
    await expect(session.getFile("pipe.csv")).rejects.toThrow(/pipe\.csv is a named pipe/);
    await expect(session.getFile("link.txt")).rejects.toThrow(/link\.txt is a symbolic link/);
    await expect(session.putFile("pipe.csv", Buffer.from("x"))).rejects.toThrow(/a named pipe/);
    // Swapped after it was listed: the transfer still refuses it at once.
    await session.execute("import os\nos.remove('/mnt/data/real.txt')\nos.mkfifo('/mnt/data/real.txt')");
    await expect(session.getFile("real.txt")).rejects.toThrow(/real\.txt is a named pipe/);
    const next = await session.execute("print('alive')");
    expect(next.stdout).toBe("alive\n");
    expect(next.kernelRestarted).toBe(false);
    await expectFilesKept();
  });

  it("refuses io_uring and the other kernel interfaces no notebook needs", async () => {
    const run = await session.execute(`
import ctypes, errno, platform
libc = ctypes.CDLL(None, use_errno=True)
numbers = {
    'x86_64': dict(io_uring_setup=425, io_uring_enter=426, io_uring_register=427, userfaultfd=323,
                   perf_event_open=298, bpf=321, keyctl=250, add_key=248, ptrace=101, process_vm_readv=310, unshare=272),
    'aarch64': dict(io_uring_setup=425, io_uring_enter=426, io_uring_register=427, userfaultfd=282,
                    perf_event_open=241, bpf=280, keyctl=219, add_key=217, ptrace=117, process_vm_readv=270, unshare=97),
}[platform.machine()]
buffer = ctypes.create_string_buffer(256)
for name, number in numbers.items():
    argument = 0x10000000 if name == 'unshare' else 1
    result = libc.syscall(number, argument, buffer, 0, 0, 0, 0)
    print(name, errno.errorcode.get(ctypes.get_errno()) if result == -1 else 'ALLOWED')
import socket
for family in (38, 40, 17):
    try:
        socket.socket(family, socket.SOCK_SEQPACKET if family == 38 else socket.SOCK_DGRAM).close()
        print('socket', family, 'ALLOWED')
    except OSError as error:
        print('socket', family, errno.errorcode.get(error.errno))
`);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(14);
    if (testRuntime() === "runsc") {
      // Under gVisor these calls never reach the host's kernel: the Sentry answers them itself
      // (some it implements inside the sandbox, which is why no seccomp profile applies to user
      // code), and the Sentry's own host process is held to gVisor's seccomp filter.
      await expectSentryFiltered(session.containerName);
      expect((await session.execute("print('still answering')")).stdout).toBe("still answering\n");
      return;
    }
    for (const line of lines) expect(line).toMatch(/ EPERM$/);
  });

  it("gives each session its own uid, so one using up inotify or processes leaves the other whole", async () => {
    const other = await sandbox.manager.acquire("integrity-neighbour");
    const exhaust = await session.execute(`
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
watchers = []
while True:
    fd = libc.inotify_init1(0)
    if fd < 0:
        break
    watchers.append(fd)
print(os.getuid(), len(watchers) > 0, errno.errorcode.get(ctypes.get_errno()))
`);
    const [firstUid, made, code] = exhaust.stdout.trim().split(" ");
    expect([made, code]).toEqual(["True", "EMFILE"]);
    const neighbour = await other.execute(
      "import ctypes, os\nlibc = ctypes.CDLL(None)\nprint(os.getuid(), libc.inotify_init1(0) >= 0)",
    );
    const [secondUid, works] = neighbour.stdout.trim().split(" ");
    expect(works).toBe("True");
    expect(secondUid).not.toBe(firstUid);
    expect(isSandboxUid(Number(secondUid))).toBe(true);
    // gVisor has no per-user inotify limit, so there the loop stopped at the kernel's 1,024 open
    // files, and the session could open nothing more until it lets them go.
    await session.execute("import os\nfor fd in watchers:\n    os.close(fd)\nwatchers.clear()");

    // Processes: while one session holds every pid it may have, the other still forks.
    let full: () => void = () => undefined;
    const isFull = new Promise<void>((resolve) => {
      full = resolve;
    });
    const stopHog = new AbortController();
    const hog = session.execute(
      `
import os, time
children = []
try:
    while True:
        pid = os.fork()
        if pid == 0:
            # A sleep of its own: under gVisor a forked kernel holds about 30 MB, and 64 of them
            # would meet the memory limit before the pids limit this test is about.
            os.execv('/bin/sleep', ['sleep', '30'])
        children.append(pid)
except OSError:
    print('full', flush=True)
time.sleep(50)
`,
      {
        timeoutMs: 60_000,
        signal: stopHog.signal,
        onOutput: (event) => {
          if (event.type === "stdout" && event.text.includes("full")) full();
        },
      },
    );
    // A hog that ends before it is full would leave this wait hanging; its result says why.
    await Promise.race([
      isFull,
      hog.then((run) => {
        throw new Error(`the hog ended before it held every pid: ${run.status} ${run.notices.join(" ")}`);
      }),
    ]);
    const forks = await other.execute(
      "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\nprint('forked')",
    );
    expect(forks.stdout).toBe("forked\n");
    stopHog.abort();
    const hogRun = await hog;
    expect(hogRun.status, describeRun(hogRun)).toBe("cancelled");
    // The supervisor names the limit from the pids cgroup's counter; gVisor enforces the limit
    // with RLIMIT_NPROC inside and shows no cgroup there, so under runsc the run says only that
    // its processes were stopped.
    if (testRuntime() === "runc") {
      expect(hogRun.notices.join(" ")).toMatch(/more processes than the sandbox allows/);
    }
    await expectFilesKept();
  });

  it("gives every run its own stdout and stderr, whatever the run before did to them", async () => {
    await session.execute(
      "import io, os, sys\nsys.stdout = io.StringIO()\nsys.stderr = io.StringIO()\nsys.__stdout__ = None\n" +
        "os.dup2(os.open('/dev/null', os.O_WRONLY), 1)\nos.close(2)",
    );
    const run = await session.execute(
      "import os\nprint('visible')\nos.system('echo from-a-shell; echo to-stderr >&2')",
    );
    expect(run.stdout, describeRun(run)).toBe("visible\nfrom-a-shell\n");
    expect(run.stderr, describeRun(run)).toBe("to-stderr\n");
  });

  it("says plainly when an inode flood fills /mnt/data, and the session survives it", async () => {
    const run = await session.execute(`
import errno
made = 0
try:
    while True:
        open('/mnt/data/flood-%d' % made, 'w').close()
        made += 1
except OSError as error:
    print(made > 1000, errno.errorcode.get(error.errno))
`);
    expect(run.kernelRestarted).toBe(false);
    if (testRuntime() === "runsc") {
      // gVisor's tmpfs ignores nr_inodes (runsc 20221219): the flood runs on until the time
      // limit stops it, and the memory limit bounds what its files cost the Sentry.
      expect(run.status).toBe("timeout");
      expect(run.notices.join(" ")).toContain("stopped after");
    } else {
      expect(run.stdout).toBe("True ENOSPC\n");
      const files = (TEST_LIMITS.dataMb * 64).toLocaleString("en-US");
      expect(run.notices.join(" ")).toContain(
        `/mnt/data is full (it holds at most ${files} files and folders), so writing more fails`,
      );
    }
    const cleaned = await session.execute(
      "import glob, os\nfor path in glob.glob('/mnt/data/flood-*'):\n    os.remove(path)\nprint('cleaned')",
    );
    expect(cleaned.stdout).toBe("cleaned\n");
    expect(cleaned.notices.join(" ")).not.toContain("is full");
    await expectFilesKept();
  });

  it(
    "ends a run that ignores its 20 s limit within a few seconds of it, and names that limit",
    async () => {
      const started = Date.now();
      const run = await session.execute(
        `
import multiprocessing, signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
def burn():
    while True:
        pass
for _ in range(4):
    multiprocessing.Process(target=burn, daemon=True).start()
while True:
    time.sleep(1)
`,
        { timeoutMs: 20_000 },
      );
      const elapsed = Date.now() - started;
      expect(run.status).toBe("timeout");
      expect(run.notices.join(" ")).toContain("The run was stopped after 20 s, its time limit.");
      expect(elapsed).toBeLessThan(20_000 + TEST_LIMITS.interruptGraceMs + 5_000);
      await expectFilesKept();
    },
    testTimeout(60_000),
  );
});
