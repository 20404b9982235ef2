/**
 * SANDBOX_BACKEND=kubernetes: sandboxes as pods in one namespace of a cluster, reached through
 * its API server (src/sandbox/kubernetes/). The settings that only make sense there, and the
 * Docker ones that make none.
 */
import type { EnvReader } from "./config.ts";

export const SANDBOX_BACKENDS = ["docker", "kubernetes"] as const;
export type SandboxBackend = (typeof SANDBOX_BACKENDS)[number];

/** The namespace deploy/kubernetes/ creates and grants the bot its role in. */
export const DEFAULT_SANDBOX_NAMESPACE = "code-interpreter-sandboxes";

export interface KubernetesConfig {
  /** Where sandbox pods go (SANDBOX_KUBERNETES_NAMESPACE). */
  namespace: string;
  /**
   * A kubeconfig file (KUBECONFIG); when absent, the pod's own service account inside a cluster,
   * else ~/.kube/config, as kubectl looks.
   */
  kubeconfig: string | null;
  /** SANDBOX_KUBERNETES_RUNTIME_CLASS, e.g. `gvisor`; the cluster's default runtime when absent. */
  runtimeClassName: string | null;
  /** SANDBOX_KUBERNETES_USER_NAMESPACES: pods get `hostUsers: false` (Kubernetes 1.33+). */
  userNamespaces: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Null for the Docker backend; problems are recorded on `read`, not thrown. */
export function readKubernetes(read: EnvReader): KubernetesConfig | null {
  const backend = read.oneOf<SandboxBackend>("SANDBOX_BACKEND", "docker", SANDBOX_BACKENDS);
  if (backend !== "kubernetes") return null;
  const namespace = read.string("SANDBOX_KUBERNETES_NAMESPACE", DEFAULT_SANDBOX_NAMESPACE);
  if (!DNS_LABEL.test(namespace)) {
    read.problem(`SANDBOX_KUBERNETES_NAMESPACE=${namespace} is not a Kubernetes namespace name.`);
  }
  const runtimeClassName = read.optionalString("SANDBOX_KUBERNETES_RUNTIME_CLASS");
  if (runtimeClassName !== null && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(runtimeClassName)) {
    read.problem(`SANDBOX_KUBERNETES_RUNTIME_CLASS=${runtimeClassName} is not a RuntimeClass name.`);
  }
  // Nodes pull images; the content-addressed tag the bot builds locally exists on no node.
  if (!read.has("SANDBOX_IMAGE")) {
    read.problem(
      "SANDBOX_BACKEND=kubernetes needs SANDBOX_IMAGE: the sandbox image pushed to a registry every node can pull, best by digest (registry.example.com/code-interpreter-bot-sandbox@sha256:…). `npm run sandbox:build` builds it.",
    );
  }
  if (read.has("SANDBOX_DOCKER_HOSTS")) {
    read.problem(
      "SANDBOX_DOCKER_HOSTS is for SANDBOX_BACKEND=docker; with kubernetes, the cluster places the pods.",
    );
  }
  if (read.string("SANDBOX_RUNTIME", "runc") !== "runc") {
    read.problem(
      "SANDBOX_RUNTIME is for SANDBOX_BACKEND=docker; with kubernetes, set SANDBOX_KUBERNETES_RUNTIME_CLASS (for example gvisor).",
    );
  }
  return {
    namespace,
    kubeconfig: read.optionalString("KUBECONFIG"),
    runtimeClassName,
    userNamespaces: read.boolean("SANDBOX_KUBERNETES_USER_NAMESPACES", false),
  };
}
