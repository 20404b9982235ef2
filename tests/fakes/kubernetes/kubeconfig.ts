/**
 * Credentials for the fake, as a client finds them in a cluster: a KubeConfig object, or a
 * kubeconfig file. Plain HTTP, so the cluster entry must skip TLS verification (the client
 * refuses http:// otherwise).
 */
import { writeFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";

export interface FakeClusterAccess {
  url: string;
  token: string;
  namespace?: string;
}

export function fakeKubeConfig(access: FakeClusterAccess): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "fake", server: access.url, skipTLSVerify: true }],
    users: [{ name: "bot", token: access.token }],
    contexts: [{ name: "fake", cluster: "fake", user: "bot", namespace: access.namespace ?? "default" }],
    currentContext: "fake",
  });
  return config;
}

/** Writes a kubeconfig file such as `kubectl config view --raw` prints. */
export async function writeKubeconfig(path: string, access: FakeClusterAccess): Promise<void> {
  const document = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fake", cluster: { server: access.url, "insecure-skip-tls-verify": true } }],
    users: [{ name: "bot", user: { token: access.token } }],
    contexts: [
      { name: "fake", context: { cluster: "fake", user: "bot", namespace: access.namespace ?? "default" } },
    ],
    "current-context": "fake",
  };
  await writeFile(path, stringify(document), { mode: 0o600 });
}
