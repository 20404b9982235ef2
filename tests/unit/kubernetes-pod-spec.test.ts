import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { containerSpec } from "../../src/sandbox/container-spec.ts";
import {
  kubeLabelValue,
  SANDBOX_CONTAINER,
  sandboxPod,
  sandboxPodName,
  sessionLabelValue,
} from "../../src/sandbox/kubernetes/pod-spec.ts";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.ts";
import { admitBaseline, validatePod } from "../fakes/kubernetes/pod-admission.ts";

const input = {
  image: "registry.example/cib-sandbox@sha256:0123",
  name: "cib-bot-0123456789abcdef0123",
  scope: "bot",
  sessionKey: "slack:T1:C1:123.456",
  limits: DEFAULT_LIMITS,
  createdAt: new Date("2026-01-01T00:00:00Z"),
  sandboxUid: 1_900_000_042,
};

function container(pod: V1Pod): V1Container {
  const found = pod.spec?.containers[0];
  if (!found) throw new Error("the pod has no container");
  return found;
}

describe("sandboxPod", () => {
  const pod = sandboxPod(input);
  const sandbox = container(pod);

  it("runs the supervisor as Docker does: same image, command, working directory, no environment", () => {
    const docker = containerSpec(input);
    expect(pod.spec?.containers).toHaveLength(1);
    expect(sandbox.name).toBe(SANDBOX_CONTAINER);
    expect(sandbox.image).toBe(input.image);
    expect(sandbox.command).toEqual(docker.Cmd);
    expect(sandbox.command?.slice(-2)).toEqual(["--sandbox-uid", "1900000042"]);
    expect(sandbox.workingDir).toBe(docker.WorkingDir);
    expect(sandbox.env).toEqual([]);
    expect(sandbox).toMatchObject({ stdin: true, stdinOnce: false, tty: false });
    expect(pod.spec).toMatchObject({
      restartPolicy: "Never",
      enableServiceLinks: false,
      automountServiceAccountToken: false,
    });
  });

  it("starts as root with only the supervisor's four capabilities, no escalation, a read-only root", () => {
    expect(sandbox.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"], add: containerSpec(input).HostConfig?.CapAdd },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("shares no host namespace and keeps the network to what the NetworkPolicy allows", () => {
    expect(pod.spec).toMatchObject({ hostNetwork: false, hostPID: false, hostIPC: false });
    expect(pod.spec?.hostUsers).toBeUndefined();
    expect(pod.spec?.runtimeClassName).toBeUndefined();
  });

  it("gets Docker's memory (Python plus every tmpfs) and CPU, as requests equal to limits", () => {
    const docker = containerSpec(input);
    const memoryMb = 1024 + 1024 + 256 + 64;
    expect((docker.HostConfig?.Memory ?? 0) / 1024 / 1024).toBe(memoryMb);
    expect(sandbox.resources).toEqual({
      requests: { cpu: "1000m", memory: `${memoryMb}Mi` },
      limits: { cpu: "1000m", memory: `${memoryMb}Mi` },
    });
    const half = container(sandboxPod({ ...input, limits: { ...DEFAULT_LIMITS, cpus: 0.5 } }));
    expect(half.resources?.limits?.cpu).toBe("500m");
  });

  it("mounts /tmp, /dev/shm and /mnt/data as memory-backed volumes of the configured sizes", () => {
    const sizes = Object.fromEntries(
      (sandbox.volumeMounts ?? []).map((mount) => {
        const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
        expect(volume?.emptyDir?.medium).toBe("Memory");
        return [mount.mountPath, volume?.emptyDir?.sizeLimit];
      }),
    );
    expect(sizes).toEqual({ "/tmp": "256Mi", "/dev/shm": "64Mi", "/mnt/data": "1024Mi" });
  });

  it("labels the pod as Docker labels the container, with values Kubernetes accepts", () => {
    expect(pod.metadata?.labels).toEqual({
      "code-interpreter-bot": "1",
      "code-interpreter-bot.scope": "bot",
      "code-interpreter-bot.session": sessionLabelValue(input.sessionKey),
      "code-interpreter-bot.created": String(input.createdAt.getTime()),
      "code-interpreter-bot.uid": "1900000042",
    });
    // The session key and time as Docker's labels hold them, where ':' is allowed.
    expect(pod.metadata?.annotations).toEqual({
      "code-interpreter-bot.session": "slack:T1:C1:123.456",
      "code-interpreter-bot.created": "2026-01-01T00:00:00.000Z",
    });
    const pooled = sandboxPod({ ...input, sessionKey: "", owner: "3f1c9a2e-replica" });
    expect(pooled.metadata?.labels?.["code-interpreter-bot.session"]).toBe("");
    expect(pooled.metadata?.labels?.["code-interpreter-bot.owner"]).toBe("3f1c9a2e-replica");
  });

  it("is a pod the API server stores and a namespace enforcing Pod Security baseline admits", () => {
    const odd = sandboxPod({ ...input, scope: "my scope:with/odd chars", owner: "replica #1" });
    for (const candidate of [pod, odd]) {
      expect(() => validatePod(candidate)).not.toThrow();
      expect(() => admitBaseline(candidate)).not.toThrow();
    }
  });

  it("adds a user namespace and a RuntimeClass when asked", () => {
    const isolated = sandboxPod({
      ...input,
      sandboxUid: 10_042,
      userNamespace: true,
      runtimeClassName: "gvisor",
    });
    expect(isolated.spec).toMatchObject({ hostUsers: false, runtimeClassName: "gvisor" });
  });

  it("refuses a sandbox uid that a pod's user namespace does not have", () => {
    expect(() => sandboxPod({ ...input, userNamespace: true })).toThrow(/REMAPPED_UID_RANGE/);
  });
});

describe("Kubernetes names and label values", () => {
  it("keeps valid label values and hashes the rest into valid ones", () => {
    expect(kubeLabelValue("bot")).toBe("bot");
    expect(kubeLabelValue("")).toBe("");
    const hashed = kubeLabelValue("slack:T1:C1");
    expect(hashed).toMatch(/^h-[0-9a-f]{40}$/);
    expect(kubeLabelValue("slack:T1:C1")).toBe(hashed);
    expect(kubeLabelValue("x".repeat(64))).toMatch(/^h-/);
    expect(kubeLabelValue("-leading")).toMatch(/^h-/);
  });

  it("names a session's pod the same way every time, as a DNS label", () => {
    const name = sandboxPodName("My_Scope.Test", "slack:T1:C1:123.456");
    expect(name).toBe(sandboxPodName("My_Scope.Test", "slack:T1:C1:123.456"));
    expect(name).not.toBe(sandboxPodName("My_Scope.Test", "slack:T1:C1:999"));
    expect(name).toMatch(/^cib-my-scope-test-[0-9a-f]{20}$/);
    expect(sandboxPodName("x".repeat(100), "k").length).toBeLessThanOrEqual(63);
  });
});
