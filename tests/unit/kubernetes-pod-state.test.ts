/**
 * What KubePods tells the bot about a pod that is not running yet, and about the API's refusals:
 * the reason the kubelet or the API server gave, in the error's words.
 */
import { ApiException, type V1ContainerState, type V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  explainKubernetesError,
  KubernetesApiError,
  startVerdict,
} from "../../src/sandbox/kubernetes/kube-pods.ts";

function pod(
  phase: string,
  state: V1ContainerState,
  extra: Partial<NonNullable<V1Pod["status"]>> = {},
): V1Pod {
  return {
    metadata: { name: "cib-bot-1" },
    status: {
      phase,
      containerStatuses: [
        { name: "sandbox", image: "img", imageID: "", ready: false, restartCount: 0, state },
      ],
      ...extra,
    },
  };
}

describe("startVerdict", () => {
  it("is running only when the phase and the container both say so", () => {
    expect(startVerdict(pod("Running", { running: { startedAt: new Date() } })).kind).toBe("running");
    expect(startVerdict(pod("Pending", { waiting: { reason: "ContainerCreating" } }))).toEqual({
      kind: "starting",
      detail: "Pending, ContainerCreating",
    });
  });

  it("names the exit of a container that stopped, and the kubelet's reason", () => {
    expect(startVerdict(pod("Failed", { terminated: { exitCode: 137, reason: "OOMKilled" } }))).toEqual({
      kind: "stopped",
      detail: "Failed, OOMKilled (exit code 137)",
    });
    expect(startVerdict(pod("Succeeded", { terminated: { exitCode: 0 } })).detail).toBe(
      "Succeeded, Completed (exit code 0)",
    );
    const evicted = pod(
      "Failed",
      {},
      { reason: "Evicted", message: "The node was low on resource: memory." },
    );
    expect(startVerdict(evicted).detail).toBe("Failed, Evicted: The node was low on resource: memory.");
  });

  it("gives up at once on a waiting reason that does not pass, and waits on one that may", () => {
    const invalid = pod("Pending", {
      waiting: { reason: "InvalidImageName", message: 'couldn\'t parse image "::"' },
    });
    expect(startVerdict(invalid)).toEqual({
      kind: "hopeless",
      detail: 'InvalidImageName: couldn\'t parse image "::"',
    });
    expect(startVerdict(pod("Pending", { waiting: { reason: "ImagePullBackOff" } })).kind).toBe("starting");
  });

  it("says a pod nobody scheduled is waiting for room", () => {
    const unscheduled: V1Pod = {
      metadata: { name: "cib-bot-1" },
      status: {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/3 nodes are available",
          },
        ],
      },
    };
    expect(startVerdict(unscheduled).detail).toBe("not scheduled: Unschedulable: 0/3 nodes are available");
  });

  it("treats a pod being deleted as stopped", () => {
    const deleting = pod("Running", { running: {} });
    deleting.metadata = { name: "cib-bot-1", deletionTimestamp: new Date() };
    expect(startVerdict(deleting)).toEqual({ kind: "stopped", detail: "it is being deleted" });
  });
});

describe("explainKubernetesError", () => {
  const status = (code: number, reason: string, message: string) =>
    new ApiException(
      code,
      "Unknown API Status Code!",
      JSON.stringify({ kind: "Status", code, reason, message }),
      {},
    );

  it("keeps the API's reason and message, and what the caller should do next", () => {
    const conflict = explainKubernetesError(
      status(409, "AlreadyExists", 'pods "x" already exists'),
      "create pod x",
    );
    expect(conflict).toBeInstanceOf(KubernetesApiError);
    expect(conflict).toMatchObject({
      status: 409,
      reason: "AlreadyExists",
      action: "retry",
      message: 'Could not create pod x: pods "x" already exists',
    });
  });

  it("tells the admin which manifests grant what was forbidden", () => {
    const forbidden = explainKubernetesError(
      status(
        403,
        "Forbidden",
        'pods is forbidden: User "system:serviceaccount:a:b" cannot create resource "pods"',
      ),
      "create pod x",
    );
    expect(forbidden).toMatchObject({ status: 403, action: "stop" });
    expect(forbidden.message).toContain("deploy/kubernetes/20-role.yaml");
  });

  it("calls a connection failure passing, naming its code", () => {
    const refused = Object.assign(new Error("request to http://127.0.0.1:1 failed"), {
      cause: { code: "ECONNREFUSED" },
    });
    const error = explainKubernetesError(refused, "list pods");
    expect(error).toMatchObject({ code: "kubernetes_unavailable", action: "retry" });
    expect(error.message).toContain("ECONNREFUSED");
  });
});
