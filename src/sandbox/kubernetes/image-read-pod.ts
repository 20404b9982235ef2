/**
 * Reads one text file of the sandbox image on Kubernetes, where nothing copies a file out of an
 * image without a container running it (Docker's way, ../image-file.ts, has no equivalent): a
 * short pod of the image prints the file to its attach stream and exits. It needs nothing the
 * Role does not already allow (no exec, no logs), runs nothing of the sandbox's (no supervisor,
 * no Python), and is as locked down as a pod can be: an unprivileged uid, no capabilities, a
 * read-only root, no token, no network (it carries the label the NetworkPolicy selects).
 */
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import { LABEL_APP, LABEL_IMAGE_READ } from "../container-spec.ts";
import { DockerStreamDemuxer } from "../docker-stream-demuxer.ts";
import { ImageFileMissingError } from "../sandbox-runtime.ts";
import type { KubeAttachStream } from "./attach-stream.ts";
import type { KubePods } from "./kube-pods.ts";
import { kubeLabelValue, SANDBOX_CONTAINER, sandboxPodPrefix } from "./pod-spec.ts";

/** Nobody's uid in Debian's images: the file only has to be world-readable. */
const READER_UID = 65_534;
/** Scheduling and a first pull of the image on a node count too. */
const DEFAULT_TIMEOUT_MS = 120_000;
/** A reader older than this was left by a bot process that stopped (it ends by itself at 300 s). */
const LEFT_OVER_MS = 10 * 60_000;

export interface ImageReadInput {
  image: string;
  scope: string;
  filePath: string;
  maxBytes: number;
  runtimeClassName?: string;
}

/**
 * The reading pod. Its shell waits for a line on stdin before printing, because an attach only
 * joins a running container's later output: the bot attaches first, then asks.
 */
export function imageReadPod(input: ImageReadInput & { name: string }): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: input.name,
      labels: { [LABEL_APP]: "1", [LABEL_IMAGE_READ]: kubeLabelValue(input.scope) },
    },
    spec: {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 1,
      // A reader the bot lost track of ends by itself.
      activeDeadlineSeconds: 300,
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      ...(input.runtimeClassName ? { runtimeClassName: input.runtimeClassName } : {}),
      containers: [
        {
          name: SANDBOX_CONTAINER,
          image: input.image,
          imagePullPolicy: "IfNotPresent",
          command: [
            "/bin/sh",
            "-c",
            'read -r _ && exec head -c "$1" -- "$2"',
            "image-read",
            // One byte over the cap, so a file that is too big shows as such.
            String(input.maxBytes + 1),
            input.filePath,
          ],
          env: [],
          stdin: true,
          stdinOnce: true,
          tty: false,
          securityContext: {
            runAsUser: READER_UID,
            runAsGroup: READER_UID,
            runAsNonRoot: true,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          resources: {
            requests: { cpu: "100m", memory: "32Mi" },
            limits: { cpu: "100m", memory: "32Mi" },
          },
        },
      ],
    },
  };
}

/** The file's bytes; throws saying why when the pod could not print it whole. */
export async function readImageFileInPod(
  pods: KubePods,
  input: ImageReadInput,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<Buffer> {
  await removeEarlierReaders(pods, input.scope);
  const name = `${sandboxPodPrefix(input.scope)}-read-${randomBytes(5).toString("hex")}`;
  await pods.createPod(imageReadPod({ ...input, name }));
  try {
    await pods.waitUntilRunning(name, timeoutMs);
    const { stdout, stderr } = await printed(await pods.attachStream(name), timeoutMs);
    const what = `${input.filePath} in ${input.image}`;
    // head's own words, as in every Debian image.
    if (/No such file or directory/.test(stderr)) {
      throw new ImageFileMissingError(`${input.image} has no ${input.filePath}`);
    }
    // Only a reader that exited 0 printed the whole file: one deleted or stopped midway printed a part.
    const exitCode = await pods.waitUntilExited(name, timeoutMs);
    if (exitCode !== 0 || stderr.trim()) {
      const ended = exitCode === null ? "was gone before it finished" : `exited with ${exitCode}`;
      throw new Error(
        `could not read ${what}: the reader ${ended}${stderr.trim() ? ` (${stderr.trim().slice(0, 300)})` : ""}`,
      );
    }
    if (stdout.length > input.maxBytes) throw new Error(`${what} is over ${input.maxBytes} bytes`);
    return stdout;
  } finally {
    await pods.deletePod(name).catch(() => undefined);
  }
}

/**
 * Readers a bot process left when it stopped between creating and deleting one. Only old ones:
 * another replica of the scope may be reading right now.
 */
async function removeEarlierReaders(pods: KubePods, scope: string): Promise<void> {
  const left = await pods.listPods(`${LABEL_IMAGE_READ}=${kubeLabelValue(scope)}`);
  for (const pod of left) {
    const created = pod.metadata?.creationTimestamp;
    if (created && Date.now() - new Date(created).getTime() > LEFT_OVER_MS) {
      await pods.deletePod(pod.metadata?.name ?? "");
    }
  }
}

/** Sends the line the reader waits for, and collects what it prints until the stream ends. */
function printed(stream: KubeAttachStream, timeoutMs: number): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const demuxer = new DockerStreamDemuxer((kind, payload) => (kind === "stdout" ? out : err).push(payload));
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`the image reader did not finish printing within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    stream.on("data", (chunk: Buffer) => {
      try {
        demuxer.push(chunk);
      } catch (error) {
        stream.destroy(error as Error);
      }
    });
    stream.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    stream.once("end", () => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
    stream.write("\n");
  });
}
