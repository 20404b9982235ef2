/**
 * The fake API server as the real @kubernetes/client-node sees it: pods created, read, listed by
 * label and deleted; errors as Status objects with the codes a cluster sends; a bearer token
 * checked; a pod's phase following its (real Docker) container; attach over v4.channel.k8s.io.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import {
  ApiException,
  Attach,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from "@kubernetes/client-node";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxImage, testDocker } from "../../helpers/sandbox.ts";
import { waitUntil } from "../../helpers/wait-until.ts";
import { FakeKubernetes } from "./fake-kubernetes.ts";
import { fakeKubeConfig, writeKubeconfig } from "./kubeconfig.ts";

const NAMESPACE = "sandboxes";
const scope = `test-k8s-${randomUUID().slice(0, 8)}`;
let docker: Dockerode;
let image: string;
let fake: FakeKubernetes;
let api: CoreV1Api;

beforeAll(async () => {
  docker = testDocker();
  image = await sandboxImage();
  fake = await FakeKubernetes.start({ docker, scope, namespaces: [NAMESPACE] });
  api = fakeKubeConfig({ url: fake.url, token: fake.token, namespace: NAMESPACE }).makeApiClient(CoreV1Api);
}, 900_000);

afterAll(async () => {
  await fake?.close();
  expect(await containers()).toEqual([]);
});

function containers(): Promise<Dockerode.ContainerInfo[]> {
  return fake.kubelet.containers();
}

function podOf(
  name: string,
  command: string[],
  extra: Partial<NonNullable<V1Pod["spec"]>["containers"][number]> = {},
): V1Pod {
  return {
    metadata: { name, labels: { app: "fake-test", pod: name } },
    spec: {
      restartPolicy: "Never",
      // Python as PID 1 ignores SIGTERM: the grace period is what deletion waits.
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "main", image, command, ...extra }],
    },
  };
}

async function phaseOf(name: string): Promise<string | undefined> {
  return (await api.readNamespacedPod({ name, namespace: NAMESPACE })).status?.phase;
}

async function gone(name: string): Promise<boolean> {
  return api.readNamespacedPod({ name, namespace: NAMESPACE }).then(
    () => false,
    (error: unknown) => {
      if (error instanceof ApiException && error.code === 404) return true;
      throw error;
    },
  );
}

/** What an attach that never opened says: client-node rejects with ws's ErrorEvent, not an Error. */
async function attachFailure(attach: Promise<unknown>): Promise<string> {
  const failure = await attach.then(
    () => null,
    (caught: unknown) => caught as { message?: string; error?: Error },
  );
  return failure?.message ?? failure?.error?.message ?? "(it opened)";
}

/** The Status object the server answered with, from the client's exception. */
async function refusal(
  request: Promise<unknown>,
): Promise<{ code: number; reason: string; message: string }> {
  const error = await request.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiException)) throw new Error(`expected an ApiException, got ${String(error)}`);
  const body = JSON.parse(String(error.body)) as {
    kind: string;
    code: number;
    reason: string;
    message: string;
  };
  expect(body.kind).toBe("Status");
  expect(body.code).toBe(error.code);
  return { code: error.code, reason: body.reason, message: body.message };
}

describe("the fake Kubernetes API", () => {
  it("creates, reads, lists by label and deletes a pod, which runs as a Docker container meanwhile", async () => {
    const created = await api.createNamespacedPod({
      namespace: NAMESPACE,
      body: podOf("sleeper", ["python3", "-c", "import time; time.sleep(600)"]),
    });
    expect(created.metadata).toMatchObject({ name: "sleeper", namespace: NAMESPACE });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status?.phase).toBe("Pending");

    await waitUntil("the pod to run", async () => (await phaseOf("sleeper")) === "Running");
    const running = await api.readNamespacedPod({ name: "sleeper", namespace: NAMESPACE });
    expect(running.status?.containerStatuses?.[0]).toMatchObject({
      name: "main",
      ready: true,
      started: true,
    });
    expect(running.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeInstanceOf(Date);
    const [container] = await containers();
    expect(container?.State).toBe("running");
    expect(running.status?.containerStatuses?.[0]?.containerID).toBe(`docker://${container?.Id}`);

    const names = async (labelSelector: string) =>
      (await api.listNamespacedPod({ namespace: NAMESPACE, labelSelector })).items.map(
        (p) => p.metadata?.name,
      );
    expect(await names("app=fake-test")).toEqual(["sleeper"]);
    expect(await names("app=fake-test,pod=sleeper")).toEqual(["sleeper"]);
    expect(await names("app=fake-test,pod=other")).toEqual([]);
    expect(await names("pod!=sleeper")).toEqual([]);
    expect(fake.requests.at(-1)).toMatchObject({
      method: "GET",
      path: `/api/v1/namespaces/${NAMESPACE}/pods`,
      query: { labelSelector: "pod!=sleeper" },
    });

    const deleted = await api.deleteNamespacedPod({ name: "sleeper", namespace: NAMESPACE });
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await waitUntil("the pod to be gone", () => gone("sleeper"));
    expect(await containers()).toEqual([]);
  });

  it("ends a pod Succeeded or Failed with its container, naming the exit code", async () => {
    await api.createNamespacedPod({
      namespace: NAMESPACE,
      body: podOf("fails", ["python3", "-c", "raise SystemExit(3)"]),
    });
    await api.createNamespacedPod({ namespace: NAMESPACE, body: podOf("succeeds", ["true"]) });
    await waitUntil("both pods to end", async () => {
      const phases = [await phaseOf("fails"), await phaseOf("succeeds")];
      return phases.every((phase) => phase === "Failed" || phase === "Succeeded");
    });
    const failed = await api.readNamespacedPod({ name: "fails", namespace: NAMESPACE });
    expect(failed.status?.phase).toBe("Failed");
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: "Error",
    });
    const succeeded = await api.readNamespacedPod({ name: "succeeds", namespace: NAMESPACE });
    expect(succeeded.status?.phase).toBe("Succeeded");
    expect(succeeded.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    for (const name of ["fails", "succeeds"]) await api.deleteNamespacedPod({ name, namespace: NAMESPACE });
    await waitUntil(
      "the ended pods' containers to be removed",
      async () => (await containers()).length === 0,
    );
  });

  it("answers mistakes with Status objects and the codes a cluster sends", async () => {
    expect(await refusal(api.readNamespacedPod({ name: "missing", namespace: NAMESPACE }))).toEqual({
      code: 404,
      reason: "NotFound",
      message: 'pods "missing" not found',
    });
    expect((await refusal(api.deleteNamespacedPod({ name: "missing", namespace: NAMESPACE }))).code).toBe(
      404,
    );

    const unnamed = await refusal(
      api.createNamespacedPod({ namespace: NAMESPACE, body: { ...podOf("x", ["true"]), metadata: {} } }),
    );
    expect(unnamed).toMatchObject({ code: 422, reason: "Invalid" });
    expect(unnamed.message).toContain("metadata.name: Required value");
    const empty = await refusal(
      api.createNamespacedPod({
        namespace: NAMESPACE,
        body: { metadata: { name: "empty" }, spec: { containers: [] } },
      }),
    );
    expect(empty).toMatchObject({ code: 422, reason: "Invalid" });
    expect(empty.message).toContain("spec.containers: Required value");
    const badLabel = await refusal(
      api.createNamespacedPod({
        namespace: NAMESPACE,
        body: {
          ...podOf("labelled", ["true"]),
          metadata: { name: "labelled", labels: { session: "slack:T1" } },
        },
      }),
    );
    expect(badLabel).toMatchObject({ code: 422, reason: "Invalid" });

    const privileged = podOf("privileged", ["true"], {
      securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } },
    });
    const forbidden = await refusal(api.createNamespacedPod({ namespace: NAMESPACE, body: privileged }));
    expect(forbidden).toMatchObject({ code: 403, reason: "Forbidden" });
    expect(forbidden.message).toContain('violates PodSecurity "baseline:latest"');
    expect(forbidden.message).toContain("SYS_ADMIN");

    expect(
      await refusal(api.createNamespacedPod({ namespace: "elsewhere", body: podOf("x", ["true"]) })),
    ).toMatchObject({
      code: 404,
      message: 'namespaces "elsewhere" not found',
    });

    await api.createNamespacedPod({ namespace: NAMESPACE, body: podOf("twice", ["true"]) });
    expect(
      await refusal(api.createNamespacedPod({ namespace: NAMESPACE, body: podOf("twice", ["true"]) })),
    ).toEqual({
      code: 409,
      reason: "AlreadyExists",
      message: 'pods "twice" already exists',
    });
    await api.deleteNamespacedPod({ name: "twice", namespace: NAMESPACE });
    await waitUntil(
      "the pod to be gone",
      async () => (await api.listNamespacedPod({ namespace: NAMESPACE })).items.length === 0,
    );
  });

  it("relabels a pod with a merge patch, and refuses a stale version, other fields and other patch types", async () => {
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    const created = await api.createNamespacedPod({
      namespace: NAMESPACE,
      body: podOf("relabel", ["sleep", "60"]),
    });
    const patched = await api.patchNamespacedPod(
      {
        name: "relabel",
        namespace: NAMESPACE,
        body: {
          metadata: { labels: { app: null, session: "abc" }, annotations: { "example.com/key": "slack:T1" } },
        },
      },
      merge,
    );
    expect(patched.metadata?.labels).toEqual({ pod: "relabel", session: "abc" });
    expect(patched.metadata?.annotations).toEqual({ "example.com/key": "slack:T1" });
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    const listed = await api.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "session=abc" });
    expect(listed.items.map((pod) => pod.metadata?.name)).toEqual(["relabel"]);

    const stale = {
      metadata: { labels: { session: "def" }, resourceVersion: created.metadata?.resourceVersion },
    };
    expect(
      await refusal(api.patchNamespacedPod({ name: "relabel", namespace: NAMESPACE, body: stale }, merge)),
    ).toMatchObject({ code: 409, reason: "Conflict" });
    const spec = { spec: { containers: [{ name: "main", image: "other" }] } };
    expect(
      await refusal(api.patchNamespacedPod({ name: "relabel", namespace: NAMESPACE, body: spec }, merge)),
    ).toMatchObject({ code: 422, reason: "Invalid" });
    const badValue = { metadata: { labels: { session: "slack:T1" } } };
    expect(
      await refusal(api.patchNamespacedPod({ name: "relabel", namespace: NAMESPACE, body: badValue }, merge)),
    ).toMatchObject({ code: 422, reason: "Invalid" });
    const jsonPatch = [{ op: "add", path: "/metadata/labels/x", value: "y" }];
    expect(
      await refusal(api.patchNamespacedPod({ name: "relabel", namespace: NAMESPACE, body: jsonPatch })),
    ).toMatchObject({ code: 415, reason: "UnsupportedMediaType" });
    expect((await api.readNamespacedPod({ name: "relabel", namespace: NAMESPACE })).metadata?.labels).toEqual(
      {
        pod: "relabel",
        session: "abc",
      },
    );
    await api.deleteNamespacedPod({ name: "relabel", namespace: NAMESPACE });
    await waitUntil("the pod to be gone", () => gone("relabel"));
  });

  it("records what the client sent: the pod as JSON, with nothing the test did not set", async () => {
    const post = fake.requests.find(
      (r) => r.method === "POST" && (r.body as V1Pod).metadata?.name === "twice",
    );
    expect(post?.path).toBe(`/api/v1/namespaces/${NAMESPACE}/pods`);
    expect(post?.body).toEqual(JSON.parse(JSON.stringify(podOf("twice", ["true"]))));
  });

  it("refuses a wrong token with 401, for requests and for attach alike", async () => {
    const stranger = fakeKubeConfig({ url: fake.url, token: "not-the-token", namespace: NAMESPACE });
    // The client keeps no body for a 401; the server sends a Status all the same.
    const refused = await stranger
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: NAMESPACE })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(401);
    const raw = await fetch(`${fake.url}/api/v1/namespaces/${NAMESPACE}/pods`, {
      headers: { Authorization: "Bearer not-the-token" },
    });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ kind: "Status", code: 401, reason: "Unauthorized" });
    const attach = new Attach(stranger).attach(
      NAMESPACE,
      "any",
      "main",
      new PassThrough(),
      new PassThrough(),
      new PassThrough(),
      false,
    );
    expect(await attachFailure(attach)).toContain("401");
    expect(fake.requests.at(-1)).toMatchObject({
      upgrade: true,
      path: `/api/v1/namespaces/${NAMESPACE}/pods/any/attach`,
    });
  });

  it("serves a client that reads a kubeconfig file written for it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "fake-k8s-"));
    try {
      const file = path.join(dir, "kubeconfig");
      await writeKubeconfig(file, { url: fake.url, token: fake.token, namespace: NAMESPACE });
      const config = new KubeConfig();
      config.loadFromFile(file);
      expect(config.getContextObject(config.getCurrentContext())?.namespace).toBe(NAMESPACE);
      const list = await config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NAMESPACE });
      expect(list.items).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("attaches stdin and stdout over v4.channel.k8s.io and ends with a Success status", async () => {
    const echo = "import sys\nline = sys.stdin.readline()\nprint(line.strip().upper(), flush=True)";
    await api.createNamespacedPod({
      namespace: NAMESPACE,
      body: podOf("echo", ["python3", "-u", "-c", echo], { stdin: true }),
    });
    await waitUntil("the pod to run", async () => (await phaseOf("echo")) === "Running");
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let output = "";
    stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const ended = new Promise((resolve) => stdout.on("finish", resolve));
    const config = fakeKubeConfig({ url: fake.url, token: fake.token, namespace: NAMESPACE });
    const socket = await new Attach(config).attach(
      NAMESPACE,
      "echo",
      "main",
      stdout,
      new PassThrough(),
      stdin,
      false,
    );
    expect(socket.protocol).toBe("v4.channel.k8s.io");
    stdin.write("hello\n");
    // The container prints and exits; the status on channel 3 then ends stdout (client-node's own handling).
    await ended;
    expect(output).toBe("HELLO\n");
    expect(fake.requests.at(-1)?.query).toEqual({
      container: "main",
      stdin: "true",
      stdout: "true",
      stderr: "true",
      tty: "false",
    });
    await waitUntil("the pod to end", async () => (await phaseOf("echo")) === "Succeeded");
    const late = new Attach(config).attach(NAMESPACE, "echo", "main", new PassThrough(), null, null, false);
    expect(await attachFailure(late)).toContain("400");
    await api.deleteNamespacedPod({ name: "echo", namespace: NAMESPACE });
  });
});
