import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { loadKubeConfig } from "../../src/sandbox/kubernetes/kube-config.ts";
import { configProblems } from "../helpers/config-problems.ts";

const IMAGE = `registry.example.com/code-interpreter-bot-sandbox@sha256:${"a".repeat(64)}`;

describe("SANDBOX_BACKEND=kubernetes", () => {
  it("is off by default: sandboxes run on Docker", () => {
    expect(loadConfig({}).kubernetes).toBeNull();
    expect(loadConfig({ SANDBOX_BACKEND: "docker" }).kubernetes).toBeNull();
  });

  it("reads the namespace, kubeconfig, runtime class and user namespaces, with the manifests' namespace as default", () => {
    expect(loadConfig({ SANDBOX_BACKEND: "kubernetes", SANDBOX_IMAGE: IMAGE }).kubernetes).toEqual({
      namespace: "code-interpreter-sandboxes",
      kubeconfig: null,
      runtimeClassName: null,
      userNamespaces: false,
    });
    expect(
      loadConfig({
        SANDBOX_BACKEND: "kubernetes",
        SANDBOX_IMAGE: IMAGE,
        SANDBOX_KUBERNETES_NAMESPACE: "sandboxes",
        KUBECONFIG: "/etc/bot/kubeconfig",
        SANDBOX_KUBERNETES_RUNTIME_CLASS: "gvisor",
        SANDBOX_KUBERNETES_USER_NAMESPACES: "true",
      }).kubernetes,
    ).toEqual({
      namespace: "sandboxes",
      kubeconfig: "/etc/bot/kubeconfig",
      runtimeClassName: "gvisor",
      userNamespaces: true,
    });
  });

  it("needs an image the nodes can pull, and says how to make one", () => {
    const [problem] = configProblems({ SANDBOX_BACKEND: "kubernetes" });
    expect(problem).toMatch(/SANDBOX_BACKEND=kubernetes needs SANDBOX_IMAGE/);
    expect(problem).toMatch(/npm run sandbox:build/);
  });

  it("names the Docker settings that mean nothing there, and bad names", () => {
    expect(
      configProblems({
        SANDBOX_BACKEND: "kubernetes",
        SANDBOX_IMAGE: IMAGE,
        SANDBOX_DOCKER_HOSTS: "unix:///a.sock,unix:///b.sock",
        SANDBOX_RUNTIME: "runsc",
        SANDBOX_KUBERNETES_NAMESPACE: "Not_A_Namespace",
        SANDBOX_KUBERNETES_RUNTIME_CLASS: "g visor",
      }),
    ).toEqual([
      "SANDBOX_KUBERNETES_NAMESPACE=Not_A_Namespace is not a Kubernetes namespace name.",
      "SANDBOX_KUBERNETES_RUNTIME_CLASS=g visor is not a RuntimeClass name.",
      "SANDBOX_DOCKER_HOSTS is for SANDBOX_BACKEND=docker; with kubernetes, the cluster places the pods.",
      "SANDBOX_RUNTIME is for SANDBOX_BACKEND=docker; with kubernetes, set SANDBOX_KUBERNETES_RUNTIME_CLASS (for example gvisor).",
    ]);
    expect(configProblems({ SANDBOX_BACKEND: "k8s" })).toEqual([
      "SANDBOX_BACKEND=k8s must be one of: docker, kubernetes.",
    ]);
  });

  it("stops at start-up naming a kubeconfig file it cannot read", () => {
    expect(() => loadKubeConfig({ kubeconfig: "/nonexistent/kubeconfig" })).toThrow(
      /Could not read the Kubernetes credentials from \/nonexistent\/kubeconfig/,
    );
  });
});
