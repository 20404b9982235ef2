/**
 * deploy/kubernetes/ as an operator applies it: the bot may touch sandbox pods and nothing else,
 * sandboxes get no network, and the pieces name each other correctly.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config.ts";
import { LABEL_APP } from "../../src/sandbox/container-spec.ts";
import { sandboxPod } from "../../src/sandbox/kubernetes/pod-spec.ts";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.ts";
import { matchesSelector } from "../fakes/kubernetes/label-selector.ts";

const DIR = path.resolve(import.meta.dirname, "../../deploy/kubernetes");

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

function load(): Manifest[] {
  return readdirSync(DIR)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(DIR, file), "utf8")).map((document) => {
        expect(document.errors, file).toEqual([]);
        return document.toJS() as Manifest;
      }),
    );
}

const manifests = load();

function one(kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Manifest;
}

interface BotContainer {
  env: Array<{ name: string; value?: string }>;
  ports: Array<{ name: string; containerPort: number }>;
  readinessProbe: { httpGet: unknown };
  livenessProbe: { httpGet: unknown };
}

function botContainer(): BotContainer {
  const spec = one("Deployment").spec as { template: { spec: { containers: BotContainer[] } } };
  const [container] = spec.template.spec.containers;
  if (!container) throw new Error("the deployment has no container");
  return container;
}

describe("deploy/kubernetes", () => {
  it("holds the namespaces, account, role, binding, network policy and deployment", () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      [
        "Deployment",
        "Namespace",
        "Namespace",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "ServiceAccount",
      ].sort(),
    );
    for (const manifest of manifests) expect(manifest.metadata.name).toMatch(/^[a-z0-9-]+$/);
  });

  it("applies in file order: each object after the namespace and account it names", () => {
    const order = (kind: string) => manifests.findIndex((m) => m.kind === kind);
    const namespaces = manifests.flatMap((m, index) => (m.kind === "Namespace" ? [index] : []));
    expect(Math.max(...namespaces)).toBeLessThan(
      Math.min(...manifests.flatMap((m, i) => (m.kind === "Namespace" ? [] : [i]))),
    );
    expect(order("ServiceAccount")).toBeLessThan(order("RoleBinding"));
    expect(order("Role")).toBeLessThan(order("RoleBinding"));
    expect(order("ServiceAccount")).toBeLessThan(order("Deployment"));
  });

  it("lets the bot create, read, list, label and delete pods and attach to them, and nothing more", () => {
    const role = one("Role");
    expect(role.metadata.namespace).toBe("code-interpreter-sandboxes");
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const granted = rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)),
      ),
    );
    expect(granted.sort()).toEqual(
      [
        "/pods:create",
        "/pods:get",
        "/pods:list",
        "/pods:patch",
        "/pods:delete",
        "/pods/attach:create",
        "/pods/attach:get",
      ].sort(),
    );
    expect(JSON.stringify(rules)).not.toContain("*");
    expect(manifests.some((m) => m.kind === "ClusterRole" || m.kind === "ClusterRoleBinding")).toBe(false);
  });

  it("binds that role to the bot's account, which the deployment runs as", () => {
    const account = one("ServiceAccount");
    const binding = one("RoleBinding");
    expect(binding.metadata.namespace).toBe(one("Role").metadata.namespace);
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "sandbox-pods",
    });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace },
    ]);
    const deployment = one("Deployment");
    const pod = (deployment.spec as { template: { spec: { serviceAccountName: string } } }).template.spec;
    expect(deployment.metadata.namespace).toBe(account.metadata.namespace);
    expect(pod.serviceAccountName).toBe(account.metadata.name);
  });

  it("denies sandbox pods all traffic in and out, selecting them by the label every sandbox pod has", () => {
    const policy = one("NetworkPolicy");
    expect(policy.metadata.namespace).toBe("code-interpreter-sandboxes");
    const spec = policy.spec as {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress?: unknown;
      egress?: unknown;
    };
    expect(spec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
    expect(spec.ingress).toBeUndefined();
    expect(spec.egress).toBeUndefined();
    expect(spec.podSelector.matchLabels).toEqual({ [LABEL_APP]: "1" });
    const sandbox = sandboxPod({
      image: "img",
      name: "cib-bot-1",
      scope: "bot",
      sessionKey: "",
      limits: DEFAULT_LIMITS,
      createdAt: new Date(),
      sandboxUid: 1_900_000_001,
    });
    const requirements = Object.entries(spec.podSelector.matchLabels).map(([key, value]) => ({
      key,
      operator: "=" as const,
      value,
    }));
    expect(matchesSelector(sandbox.metadata?.labels, requirements)).toBe(true);
  });

  it("runs the bot with the Kubernetes backend, its settings and DATABASE_URL from a Secret", () => {
    const deployment = one("Deployment");
    const container = (
      deployment.spec as {
        template: {
          spec: {
            containers: Array<{
              envFrom: Array<{ secretRef?: { name: string } }>;
              env: Array<{
                name: string;
                value?: string;
                valueFrom?: { secretKeyRef?: { name: string; key: string } };
              }>;
              securityContext: Record<string, unknown>;
            }>;
          };
        };
      }
    ).template.spec.containers[0];
    expect(container?.envFrom).toEqual([{ secretRef: { name: "code-interpreter-bot" } }]);
    const env = new Map(container?.env.map((variable) => [variable.name, variable]));
    expect(env.get("SANDBOX_BACKEND")?.value).toBe("kubernetes");
    expect(env.get("DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({
      name: "code-interpreter-bot",
      key: "DATABASE_URL",
    });
    expect(env.get("SANDBOX_KUBERNETES_NAMESPACE")?.value).toBe(one("Role").metadata.namespace);
    expect(container?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("gives the bot settings it accepts, and probes the endpoints it serves on the port it listens on", () => {
    const container = botContainer();
    const values = Object.fromEntries(
      container.env.flatMap((variable) =>
        variable.value === undefined ? [] : [[variable.name, variable.value]],
      ),
    );
    const config = loadConfig({ ...values, DATABASE_URL: "postgres://bot@db.internal:5432/bot" });
    expect(config.kubernetes?.namespace).toBe(one("Role").metadata.namespace);
    expect(config.ops?.port).toBe(container.ports.find((port) => port.name === "metrics")?.containerPort);
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
  });

  it("enforces Pod Security baseline where sandboxes run and restricted where the bot runs", () => {
    const levels = Object.fromEntries(
      manifests
        .filter((m) => m.kind === "Namespace")
        .map((m) => [m.metadata.name, m.metadata.labels?.["pod-security.kubernetes.io/enforce"]]),
    );
    expect(levels).toEqual({
      "code-interpreter-bot": "restricted",
      "code-interpreter-sandboxes": "baseline",
    });
  });
});
