/**
 * The benchmark's baseline: one fresh, equally hardened container per execution, which is what
 * a bot without sessions does. It pays container start-up and Python imports every time.
 */
import { randomUUID } from "node:crypto";
import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import { containerSpec } from "../../src/sandbox/container-spec.ts";
import type { SandboxLimits } from "../../src/sandbox/limits.ts";
import type { OciRuntime } from "../../src/sandbox/oci-runtime.ts";
import { DEFAULT_UID_RANGE } from "../../src/sandbox/sandbox-uid.ts";

export const NAIVE_PLOT_CODE =
  "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nplt.plot([1, 4, 9, 16])\n" +
  "import io, sys\nb = io.BytesIO()\nplt.savefig(b, format='png')\nsys.stdout.buffer.write(b.getvalue()[:8])";

export async function naiveRun(
  docker: Dockerode,
  image: string,
  limits: SandboxLimits,
  code: string,
  runtime: OciRuntime = "runc",
): Promise<void> {
  const spec = containerSpec({
    runtime,
    image,
    name: `cib-bench-naive-${randomUUID().slice(0, 8)}`,
    scope: "bench",
    sessionKey: "naive",
    limits,
    createdAt: new Date(),
    sandboxUid: DEFAULT_UID_RANGE.first,
  });
  // No supervisor here: the code itself runs, as an unprivileged user like a session's code.
  spec.Cmd = ["python3", "-c", code];
  spec.User = `${DEFAULT_UID_RANGE.first}:${DEFAULT_UID_RANGE.first}`;
  spec.OpenStdin = false;
  spec.AttachStdin = false;
  const container = await docker.createContainer(spec);
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    docker.modem.demuxStream(stream, out, new PassThrough());
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    if (exit.StatusCode !== 0) throw new Error(`naive run exited with ${exit.StatusCode}`);
    if (Buffer.concat(chunks).length === 0) throw new Error("naive run printed nothing");
  } finally {
    await container.remove({ force: true });
  }
}
