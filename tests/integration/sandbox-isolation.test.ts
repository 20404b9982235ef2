import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSandboxUid } from "../../src/sandbox/sandbox-uid.ts";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import { createTestSandbox, type TestSandbox, testRuntime } from "../helpers/sandbox.ts";

let sandbox: TestSandbox;
let session: ContainerSession;

beforeAll(async () => {
  process.env.OPENAI_API_KEY = "sk-test-must-not-leak";
  process.env.SLACK_BOT_TOKEN = "xoxb-must-not-leak";
  process.env.SLACK_APP_TOKEN = "xapp-must-not-leak";
  sandbox = await createTestSandbox();
  session = await sandbox.manager.acquire("isolation");
}, 900_000);

afterAll(async () => {
  delete process.env.OPENAI_API_KEY;
  delete process.env.SLACK_BOT_TOKEN;
  delete process.env.SLACK_APP_TOKEN;
  await sandbox?.cleanup();
});

describe("sandbox isolation", () => {
  it("has no network: no DNS and no route", async () => {
    const run = await session.execute(
      "import socket\ntry:\n    socket.gethostbyname('deb.debian.org')\nexcept OSError as e:\n    print('dns', type(e).__name__)\n" +
        "s = socket.socket()\ns.settimeout(2)\ntry:\n    s.connect(('1.1.1.1', 80))\nexcept OSError as e:\n    print('route', e.errno)\n" +
        "print(sorted(n for _, n in socket.if_nameindex()))",
    );
    // Linux says ENETUNREACH (101); gVisor's own network stack says EHOSTUNREACH (113).
    const unreachable = testRuntime() === "runsc" ? 113 : 101;
    expect(run.stdout).toBe(`dns gaierror\nroute ${unreachable}\n['lo']\n`);
  });

  it("cannot write outside /mnt/data and /tmp", async () => {
    const run = await session.execute(
      "import errno\nfor path in ['/etc/evil', '/usr/lib/evil', '/opt/sandbox/kernel.py', '/root/evil', '/evil', '/tmp/ok', '/mnt/data/ok']:\n" +
        "    try:\n        open(path, 'a').write('x')\n        print(path, 'ok')\n" +
        "    except OSError as e:\n        print(path, 'refused' if e.errno in (errno.EROFS, errno.EACCES) else e)",
    );
    expect(run.stdout).toBe(
      "/etc/evil refused\n/usr/lib/evil refused\n/opt/sandbox/kernel.py refused\n/root/evil refused\n/evil refused\n/tmp/ok ok\n/mnt/data/ok ok\n",
    );
  });

  it("runs as the container's own non-root uid with no capabilities and no way to gain privileges", async () => {
    const run = await session.execute(
      "import ctypes, os\nstatus = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n" +
        "no_new_privs = ctypes.CDLL(None).prctl(39, 0, 0, 0, 0)\n" +
        "print(os.getuid(), os.getgid(), os.getgroups(), status['CapEff'].strip(), status['CapBnd'].strip(), no_new_privs)",
    );
    // no_new_privs is asked of the kernel (PR_GET_NO_NEW_PRIVS, 39) rather than read from
    // /proc/self/status, whose NoNewPrivs line gVisor leaves out; both kernels answer the call.
    const [uid, gid, ...rest] = run.stdout.trim().split(" ");
    expect(isSandboxUid(Number(uid))).toBe(true);
    expect(gid).toBe(uid);
    expect(rest.join(" ")).toBe("[] 0000000000000000 0000000000000000 1");
  });

  it("holds no secrets of the bot in its environment", async () => {
    const run = await session.execute(
      "import os\nprint(sorted(os.environ))\nprint(open('/proc/1/environ', 'rb').read().count(b'leak'))",
    );
    expect(run.stdout).not.toMatch(/OPENAI|SLACK|DISCORD|TOKEN|KEY|SECRET/i);
    const names = JSON.parse(run.stdout.split("\n")[0]?.replaceAll("'", '"') ?? "[]") as string[];
    // Only what the image itself sets (sandbox-image/Dockerfile), the last four for the libraries:
    // wordcloud's font, seaborn's offline datasets, tesseract's language data, LibreOffice's profile.
    for (const name of names)
      expect(name).toMatch(
        /^(PATH|HOME|HOSTNAME|LANG|USER|LOGNAME|PYTHON\w*|MPL\w*|IPYTHONDIR|XDG_\w+|\w+_NUM_THREADS|MATPLOTLIBRC|PLOTLY_RENDERER|LC_ALL|TERM|FONT_PATH|SEABORN_DATA|TESSDATA_PREFIX|UserInstallation)$/,
      );
  });

  it("keeps two sessions running at once apart", async () => {
    const other = await sandbox.manager.acquire("isolation-other");
    await Promise.all([
      session.execute("who = 'first'\nopen('/mnt/data/who.txt', 'w').write('first')"),
      other.execute("who = 'second'\nopen('/mnt/data/who.txt', 'w').write('second')"),
    ]);
    const [a, b] = await Promise.all([
      session.execute("import time\ntime.sleep(0.5)\nprint(who, open('/mnt/data/who.txt').read())"),
      other.execute("import time\ntime.sleep(0.5)\nprint(who, open('/mnt/data/who.txt').read())"),
    ]);
    expect(a.stdout).toBe("first first\n");
    expect(b.stdout).toBe("second second\n");
  });
});
