/**
 * SANDBOX_BACKEND=kubernetes at the level of the sandbox manager: conversations as pods through
 * the fake API server (whose node runs each pod as a real Docker container), with the same
 * promises as on Docker: variables and files kept, warm pods, adoption by a later process, a
 * pod lost under a conversation said plainly and its files restored.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { kubernetesCheck } from "../../src/ops/readiness-checks.ts";
import { LABEL_IMAGE_READ } from "../../src/sandbox/container-spec.ts";
import { readImageFile } from "../../src/sandbox/image-file.ts";
import { KubePods } from "../../src/sandbox/kubernetes/kube-pods.ts";
import { KubernetesRuntime } from "../../src/sandbox/kubernetes/kubernetes-runtime.ts";
import { LIBRARIES_PATH } from "../../src/sandbox/sandbox-libraries.ts";
import { ImageFileMissingError } from "../../src/sandbox/sandbox-runtime.ts";
import { SandboxManager, type SandboxManagerOptions } from "../../src/sandbox/session-manager.ts";
import type { Execution } from "../../src/sandbox/types.ts";
import { FakeKubernetes } from "../fakes/kubernetes/fake-kubernetes.ts";
import { fakeKubeConfig } from "../fakes/kubernetes/kubeconfig.ts";
import { FAKE_NODE } from "../fakes/kubernetes/pod-store.ts";
import { sandboxImage, TEST_LIMITS, testDocker } from "../helpers/sandbox.ts";
import { waitUntil } from "../helpers/wait-until.ts";

const NAMESPACE = "code-interpreter-sandboxes";
const logger = silentLogger();
let image: string;
let fake: FakeKubernetes;
const managers: SandboxManager[] = [];

beforeAll(async () => {
  image = await sandboxImage();
  fake = await FakeKubernetes.start({
    docker: testDocker(),
    scope: `test-k8s-sandbox-${randomUUID().slice(0, 8)}`,
    namespaces: [NAMESPACE],
    podPidsLimit: TEST_LIMITS.pids * 4,
  });
}, 900_000);

afterAll(async () => {
  for (const manager of managers) await manager.shutdown();
  await fake?.close();
});

function kubeRuntime(scope: string, token = fake.token): KubernetesRuntime {
  return new KubernetesRuntime({
    pods: new KubePods({
      kubeConfig: fakeKubeConfig({ url: fake.url, token, namespace: NAMESPACE }),
      namespace: NAMESPACE,
      logger,
      pollIntervalMs: 100,
    }),
    image,
    limits: TEST_LIMITS,
    scope,
    logger,
  });
}

function kubeManager(scope: string, extra: Partial<SandboxManagerOptions> = {}): SandboxManager {
  const manager = new SandboxManager({
    sandboxRuntime: kubeRuntime(scope),
    image,
    limits: TEST_LIMITS,
    logger,
    scope,
    ...extra,
  });
  managers.push(manager);
  return manager;
}

function podsOf(scope: string) {
  return fake.pods.list(NAMESPACE, [{ key: "code-interpreter-bot.scope", operator: "=", value: scope }]);
}

/** A run that must succeed; a failure says why. */
async function ok(session: { execute(code: string): Promise<Execution> }, code: string): Promise<Execution> {
  const run = await session.execute(code);
  expect(run.status, JSON.stringify({ error: run.error, stderr: run.stderr, notices: run.notices })).toBe(
    "ok",
  );
  return run;
}

function requestsFor(name: string, method: string) {
  return fake.requests.filter(
    (request) => request.method === method && request.path.endsWith(`/pods${name ? `/${name}` : ""}`),
  );
}

describe("sandboxes as Kubernetes pods", () => {
  it("runs a conversation in its own pod, keeps variables and files, and deletes the pod when it ends", async () => {
    const scope = "k8s-basic";
    const manager = kubeManager(scope);
    const key = "slack:T1:C1:1700000000.000100";
    const session = await manager.acquire(key);
    await ok(session, "x = 41\nopen('/mnt/data/note.txt', 'w').write('kept')");
    const run = await ok(session, "import os\nprint(x + 1, open('/mnt/data/note.txt').read(), os.getuid())");
    const [answer, note, uid] = run.stdout.trim().split(" ");
    expect([answer, note]).toEqual(["42", "kept"]);
    expect(Number(uid)).toBeGreaterThan(0);

    const pods = podsOf(scope);
    expect(pods.map((pod) => pod.metadata?.name)).toEqual([manager.runtime.containerName(key)]);
    expect(pods[0]?.metadata?.annotations?.["code-interpreter-bot.session"]).toBe(key);
    expect(pods[0]?.spec?.containers[0]?.image).toBe(image);
    const [described] = await manager.describe();
    expect(described).toMatchObject({ key, state: "running", host: FAKE_NODE });

    expect(await manager.close(key)).toBe(true);
    await waitUntil("the pod to be deleted", () => podsOf(scope).length === 0);
  });

  it("gives a new conversation a warm pod by labelling it, and a restarted bot adopts it with its variables", async () => {
    const scope = "k8s-pool";
    const first = kubeManager(scope, { poolSize: 1 });
    await first.startPool();
    await waitUntil("a warm pod to be ready", () => first.admission.pool.readyCount === 1, 120_000);
    const [warm] = podsOf(scope);
    const warmName = warm?.metadata?.name ?? "";
    const key = "discord:G1:C7";
    const session = await first.acquire(key);
    await ok(session, "y = 7");
    // The warm pod became the conversation's: labelled, not replaced (a pod cannot be renamed).
    expect(requestsFor(first.runtime.containerName(key), "GET").length).toBe(0);
    const patch = requestsFor(warmName, "PATCH").at(-1);
    expect(patch?.body).toMatchObject({
      metadata: { annotations: { "code-interpreter-bot.session": key } },
    });
    await first.shutdown();

    // Another process (a restart, or another replica) finds the pod by the session's label.
    const second = kubeManager(scope);
    const again = await second.acquire(key);
    const run = await again.execute("print(y * 6)");
    expect(run.stdout).toBe("42\n");
    expect(run.kernelRestarted).toBe(false);
    expect(again.location).toBe(warmName);
    await second.close(key);
    await waitUntil("the claimed pod to be deleted", () =>
      podsOf(scope).every((pod) => pod.metadata?.name !== warmName),
    );
    for (const pod of await second.runtime.list()) await second.runtime.remove(pod.id);
  });

  it("says plainly when a conversation's pod is deleted under it, and restores its files in a new pod", async () => {
    const scope = "k8s-lost";
    const keptFilesDir = await mkdtemp(path.join(tmpdir(), "cib-k8s-kept-"));
    const manager = kubeManager(scope, { keptFilesDir });
    const key = "slack:T1:C2:1700000000.000200";
    const session = await manager.acquire(key);
    await ok(session, "open('/mnt/data/report.csv', 'w').write('a,b\\n1,2\\n')");
    const [before] = podsOf(scope);
    await fake.pods.get(NAMESPACE, before?.metadata?.name ?? "");
    // As a node drain or `kubectl delete pod` would.
    await manager.runtime.remove(before?.metadata?.name ?? "");
    await waitUntil("the pod to be gone", () => podsOf(scope).length === 0);

    const run = await session.execute("print(open('/mnt/data/report.csv').read().strip())");
    expect(run.notices.join(" ")).toMatch(/The sandbox stopped unexpectedly/);
    expect(run.notices.join(" ")).toMatch(
      /1 file\(s\) in \/mnt\/data \(8 bytes\) from the last finished run were restored/,
    );
    expect(run.stdout).toBe("a,b\n1,2\n");
    expect(podsOf(scope)).toHaveLength(1);
    await manager.close(key);
  });

  it("attaches again, variables and all, when the API server closes the attach connection of a running pod", async () => {
    const scope = "k8s-reattach";
    const manager = kubeManager(scope);
    const key = "slack:T1:C3:1700000000.000300";
    const session = await manager.acquire(key);
    await ok(session, "z = 'still here'");
    const [pod] = podsOf(scope);
    expect(fake.dropAttachConnections()).toBeGreaterThan(0);
    await waitUntil("the bot to see its channel closed", () => session.channelBroken);
    const run = await ok(session, "print(z)");
    expect(run.stdout).toBe("still here\n");
    expect(run.notices).toEqual([]);
    expect(podsOf(scope).map((p) => p.metadata?.uid)).toEqual([pod?.metadata?.uid]);
    await manager.close(key);
  });

  it("is ready while the API server lets it list pods, and says why not when the credentials are refused", async () => {
    await expect(
      kubernetesCheck(kubeRuntime("k8s-ready")).check(AbortSignal.timeout(10_000)),
    ).resolves.toBeUndefined();
    await expect(
      kubernetesCheck(kubeRuntime("k8s-ready", "not-the-token")).check(AbortSignal.timeout(10_000)),
    ).rejects.toThrow(/did not accept the bot's credentials/);
  });

  it("reads the image's library census through a short pod of its own, deleted after, as Docker reads it", async () => {
    const manager = kubeManager("k8s-census");
    const libraries = await manager.libraries();
    expect(libraries?.python).toMatch(/^3\.\d+\.\d+$/);
    expect(libraries?.groups.length).toBeGreaterThan(3);
    const runtime = kubeRuntime("k8s-census");
    const printed = await runtime.readImageFile(LIBRARIES_PATH, 1024 * 1024);
    expect(printed.equals(await readImageFile(testDocker(), image, LIBRARIES_PATH, 1024 * 1024))).toBe(true);
    // Created with the label the NetworkPolicy selects, but not the scope's: no sweep takes it for a sandbox.
    const created = requestsFor("", "POST").map(
      (request) => request.body as { metadata: { labels: Record<string, string> } },
    );
    expect(created.filter((pod) => pod.metadata.labels[LABEL_IMAGE_READ] === "k8s-census")).toHaveLength(2);
    expect(podsOf("k8s-census")).toEqual([]);
    await waitUntil(
      "the reading pods to be deleted",
      () =>
        fake.pods.list(NAMESPACE, [{ key: LABEL_IMAGE_READ, operator: "=", value: "k8s-census" }]).length ===
        0,
    );
  });

  it("says when the image has no such file, or when it is over the size asked for", async () => {
    const runtime = kubeRuntime("k8s-census-missing");
    await expect(runtime.readImageFile("/opt/sandbox/no-such-file.json", 1024)).rejects.toBeInstanceOf(
      ImageFileMissingError,
    );
    await expect(runtime.readImageFile(LIBRARIES_PATH, 10)).rejects.toThrow(/is over 10 bytes/);
  });
});
