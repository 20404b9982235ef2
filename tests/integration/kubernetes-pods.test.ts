/**
 * A sandbox as a Kubernetes pod, end to end against the fake API server (whose node runs each pod
 * as a real Docker container): the pod from sandboxPod, started and attached through KubePods,
 * and the unchanged SupervisorClient running Python over the attach stream.
 */
import { randomUUID } from "node:crypto";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { KubePods, KubernetesApiError } from "../../src/sandbox/kubernetes/kube-pods.ts";
import { sandboxPod, sandboxPodName } from "../../src/sandbox/kubernetes/pod-spec.ts";
import { pickSandboxUid } from "../../src/sandbox/sandbox-uid.ts";
import { SupervisorClient } from "../../src/sandbox/supervisor-client.ts";
import type { OutputEvent } from "../../src/sandbox/types.ts";
import { FakeKubernetes } from "../fakes/kubernetes/fake-kubernetes.ts";
import { fakeKubeConfig } from "../fakes/kubernetes/kubeconfig.ts";
import { sandboxImage, TEST_LIMITS, testDocker } from "../helpers/sandbox.ts";
import { waitUntil } from "../helpers/wait-until.ts";

const NAMESPACE = "code-interpreter-sandboxes";
const scope = `test-k8s-${randomUUID().slice(0, 8)}`;
const logger = silentLogger();
let docker: Dockerode;
let image: string;
let fake: FakeKubernetes;
let pods: KubePods;

beforeAll(async () => {
  docker = testDocker();
  image = await sandboxImage();
  fake = await FakeKubernetes.start({
    docker,
    scope,
    namespaces: [NAMESPACE],
    podPidsLimit: TEST_LIMITS.pids * 4,
  });
  pods = new KubePods({
    kubeConfig: fakeKubeConfig({ url: fake.url, token: fake.token, namespace: NAMESPACE }),
    namespace: NAMESPACE,
    logger,
    pollIntervalMs: 100,
  });
}, 900_000);

afterAll(async () => {
  await fake?.close();
  expect(await containers()).toEqual([]);
});

function containers(): Promise<Dockerode.ContainerInfo[]> {
  return fake.kubelet.containers();
}

function podFor(sessionKey: string, sandboxUid: number) {
  return sandboxPod({
    image,
    name: sandboxPodName(scope, sessionKey),
    scope,
    sessionKey,
    limits: TEST_LIMITS,
    createdAt: new Date(),
    sandboxUid,
  });
}

/**
 * A Kubernetes attach can only join a running container, so the supervisor's one `ready` line
 * may come before it. Either that line arrives, or a ping finds the kernel idle.
 */
async function untilReady(client: SupervisorClient): Promise<void> {
  let ready = false;
  client.once("ready", () => {
    ready = true;
  });
  await waitUntil(
    "the supervisor's kernel to be ready",
    async () => ready || (await client.ping(5_000)).state === "idle",
  );
}

async function run(client: SupervisorClient, code: string): Promise<{ status: string; stdout: string }> {
  let stdout = "";
  const result = await client.run({
    code,
    timeoutMs: 20_000,
    graceMs: 1_000,
    outputLimitBytes: 64 * 1024,
    onOutput: (event: OutputEvent) => {
      if (event.type === "stdout") stdout += event.text;
    },
  }).done;
  return { status: result.status, stdout };
}

describe("a sandbox pod", () => {
  it("runs Python through the attach stream, keeps its variables across attaches, and goes when deleted", async () => {
    const sessionKey = "slack:T1:C1:1700000000.000100";
    const uid = pickSandboxUid(new Set());
    const pod = podFor(sessionKey, uid);
    const name = pod.metadata?.name ?? "";
    await pods.createPod(pod);
    const running = await pods.waitUntilRunning(name, 60_000);
    expect(running.status?.phase).toBe("Running");

    const first = new SupervisorClient(await pods.attachStream(name), logger);
    await untilReady(first);
    expect(await first.ping(5_000)).toMatchObject({ type: "pong", state: "idle" });
    expect(await run(first, "print(1+1)")).toEqual({ status: "ok", stdout: "2\n" });
    // User code runs as the pod's own uid, never as root.
    expect(await run(first, "import os\nprint(os.getuid(), os.geteuid())")).toEqual({
      status: "ok",
      stdout: `${uid} ${uid}\n`,
    });
    expect((await run(first, "answer = 41")).status).toBe("ok");
    const attach = fake.requests.filter((request) => request.upgrade).at(-1);
    expect(attach).toMatchObject({
      path: `/api/v1/namespaces/${NAMESPACE}/pods/${name}/attach`,
      query: { container: "sandbox", stdin: "true", stdout: "true", stderr: "true", tty: "false" },
    });

    // A later bot process attaches again: stdin stayed open (stdinOnce: false) and so did the kernel.
    first.close();
    const second = new SupervisorClient(await pods.attachStream(name), logger);
    expect(await second.ping(5_000)).toMatchObject({ state: "idle" });
    expect(await run(second, "print(answer + 1)")).toEqual({ status: "ok", stdout: "42\n" });

    await pods.deletePod(name);
    await waitUntil("the attach stream to end", () => second.broken !== null);
    expect(second.broken).toBe("the sandbox container stopped");
    await waitUntil("the pod to be gone", async () => (await pods.readPod(name)) === null);
    await waitUntil("its container to be gone", async () => (await containers()).length === 0);
  });

  it("becomes a container with the pod's limits and hardening", async () => {
    const pod = podFor("discord:G1:C2", pickSandboxUid(new Set()));
    const name = pod.metadata?.name ?? "";
    await pods.createPod(pod);
    await pods.waitUntilRunning(name, 60_000);
    const [info] = await containers();
    const inspected = await docker.getContainer(info?.Id ?? "").inspect();
    const { memoryMb, dataMb, tmpMb, shmMb } = TEST_LIMITS;
    expect(inspected.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      CapAdd: ["SETUID", "SETGID", "SETPCAP", "KILL"],
      Init: true,
      NetworkMode: "none",
      Memory: (memoryMb + dataMb + tmpMb + shmMb) * 1024 * 1024,
      NanoCpus: TEST_LIMITS.cpus * 1e9,
      PidsLimit: TEST_LIMITS.pids * 4,
    });
    expect(inspected.HostConfig.SecurityOpt).toContain("no-new-privileges");
    expect(Object.keys(inspected.HostConfig.Tmpfs ?? {}).sort()).toEqual(["/dev/shm", "/mnt/data", "/tmp"]);
    expect(inspected.HostConfig.Tmpfs?.["/mnt/data"]).toContain(`size=${dataMb * 1024 * 1024}`);
    expect(inspected.Config.User).toBe("0:0");

    const listed = await pods.listPods(`code-interpreter-bot=1,code-interpreter-bot.scope=${scope}`);
    expect(listed.map((p) => p.metadata?.annotations?.["code-interpreter-bot.session"])).toEqual([
      "discord:G1:C2",
    ]);

    const twin = await pods.createPod(pod).then(
      () => null,
      (error: unknown) => error,
    );
    expect(twin).toBeInstanceOf(KubernetesApiError);
    expect(twin).toMatchObject({ status: 409, reason: "AlreadyExists", action: "retry" });
    await pods.deletePod(name);
    await pods.deletePod(name);
    await waitUntil("the pod to be gone", async () => (await pods.readPod(name)) === null);
    // Deleting what is gone is fine.
    await pods.deletePod(name);
  });

  it("says why a pod does not start: here, an image the node cannot pull", async () => {
    const missing = podFor("web:missing", pickSandboxUid(new Set()));
    const sandbox = missing.spec?.containers[0];
    if (sandbox) sandbox.image = "code-interpreter-bot-sandbox:does-not-exist";
    await pods.createPod(missing);
    const name = missing.metadata?.name ?? "";
    await expect(pods.waitUntilRunning(name, 2_000)).rejects.toThrow(
      /did not run within 2 s \(Pending, ErrImagePull/,
    );
    await pods.deletePod(name);
    await waitUntil(
      "the pod to be gone",
      async () => (await pods.listPods(`code-interpreter-bot.scope=${scope}`)).length === 0,
    );
  });

  it("tells the admin when the API server refuses the bot's credentials", async () => {
    const stranger = new KubePods({
      kubeConfig: fakeKubeConfig({ url: fake.url, token: "wrong", namespace: NAMESPACE }),
      namespace: NAMESPACE,
      logger,
    });
    const refused = await stranger.listPods("code-interpreter-bot=1").then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ status: 401, action: "stop" });
    expect((refused as Error).message).toContain("did not accept the bot's credentials");
    await expect(stranger.attachStream("anything")).rejects.toThrow(/cannot attach to sandbox pod anything/);
  });
});
