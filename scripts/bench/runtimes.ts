/**
 * Which OCI runtimes the bench measures: runc always, runsc (gVisor) when the engine knows it,
 * read from `docker info` as the bot's start-up check reads it (src/sandbox/oci-runtime.ts).
 */
import type Dockerode from "dockerode";
import { isRuntimeKnown, knownRuntimes, type OciRuntime } from "../../src/sandbox/oci-runtime.ts";

export interface BenchRuntimes {
  measured: OciRuntime[];
  /** Why runsc is not among them; null when it is. */
  runscMissing: string | null;
}

export async function benchRuntimes(docker: Dockerode): Promise<BenchRuntimes> {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  if (isRuntimeKnown("runsc", info.Runtimes)) return { measured: ["runc", "runsc"], runscMissing: null };
  return {
    measured: ["runc"],
    runscMissing:
      `the Docker engine does not know the runsc runtime (it knows: ${knownRuntimes(info.Runtimes)}); ` +
      "`sudo bash scripts/ensure-docker.sh --runsc` installs gVisor and registers it with dockerd",
  };
}
