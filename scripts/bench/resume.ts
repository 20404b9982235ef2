/**
 * A conversation picked up after suspension: a 50 MB DataFrame in its variables and 20 files in
 * /mnt/data, all kept on the host while it had no container. Measures the next message's wait
 * for its first result: a container (from the pool when there is one), the files put back and
 * the namespace loaded.
 */
import { randomUUID } from "node:crypto";
import type { SandboxManager } from "../../src/sandbox/session-manager.ts";
import { time } from "./measure.ts";

const BUILD = `
import numpy as np, pandas as pd
df = pd.DataFrame(np.random.default_rng(1).random((655_360, 10)), columns=[f"c{i}" for i in range(10)])
for i in range(20):
    df.iloc[i * 1000:(i + 1) * 1000].to_csv(f"/mnt/data/part-{i:02}.csv")
print(round(df.memory_usage().sum() / 2**20))
`;

const CHECK = "import os\nprint(df.shape, len([n for n in os.listdir('/mnt/data') if n.endswith('.csv')]))";

export async function resumeSample(manager: SandboxManager): Promise<number> {
  const key = `bench-resume-${randomUUID()}`;
  const session = await manager.acquire(key);
  try {
    const built = await session.execute(BUILD);
    if (built.status !== "ok" || built.stdout !== "50\n")
      throw new Error(`build failed: ${built.stdout}${built.stderr}`);
    // Runs behind the files' save, so they are all kept before the suspension.
    await session.execute("pass");
    if (!(await manager.suspend(key))) throw new Error("the session was not running");
    await manager.admission.pool.whenSettled();
    return await time(async () => {
      const resumed = await session.execute(CHECK);
      if (resumed.stdout !== "(655360, 10) 20\n") throw new Error(`resume lost something: ${resumed.stdout}`);
    });
  } finally {
    await manager.close(key);
  }
}
