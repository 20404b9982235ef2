/** Checks of the sandbox's promises that hold the same under every runtime (runc and runsc). */
import { expect } from "vitest";
import type { SandboxSession } from "../../src/sandbox/sandbox.ts";

/** Writing past the size of /tmp, /dev/shm or /mnt/data fails with ENOSPC (TEST_LIMITS' sizes). */
export async function expectTmpfsLimits(session: SandboxSession): Promise<void> {
  const run = await session.execute(
    "import errno\nfor path, mb in [('/tmp/fill', 40), ('/dev/shm/fill', 24), ('/mnt/data/fill', 72)]:\n" +
      "    try:\n        open(path, 'wb').write(b'0' * mb * 1024 * 1024)\n        print(path, 'fit')\n" +
      "    except OSError as e:\n        print(path, errno.errorcode[e.errno])\n" +
      "import os\nfor p in ['/tmp/fill', '/dev/shm/fill', '/mnt/data/fill']:\n    os.remove(p)",
  );
  expect(run.stdout).toBe("/tmp/fill ENOSPC\n/dev/shm/fill ENOSPC\n/mnt/data/fill ENOSPC\n");
}
