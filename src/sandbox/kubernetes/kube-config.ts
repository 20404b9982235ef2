/** The bot's credentials for the cluster, found where kubectl finds them. */
import { KubeConfig } from "@kubernetes/client-node";
import { FatalError } from "../../errors.ts";
import type { KubernetesConfig } from "../../kubernetes-config.ts";

/**
 * KUBECONFIG when set; otherwise, inside a cluster, the pod's service account (its token, CA
 * and the API server's address, as deploy/kubernetes/50-deployment.yaml mounts them), else
 * ~/.kube/config. A file that cannot be read is a start-up failure naming it.
 */
export function loadKubeConfig(config: Pick<KubernetesConfig, "kubeconfig">): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new FatalError(
      "kubeconfig_unreadable",
      `Could not read the Kubernetes credentials from ${config.kubeconfig ?? "the default places (in-cluster service account, ~/.kube/config)"}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new FatalError(
      "kubeconfig_no_cluster",
      `The Kubernetes credentials ${config.kubeconfig ? `in ${config.kubeconfig} ` : ""}name no cluster: set KUBECONFIG to a kubeconfig file, or run the bot inside the cluster with deploy/kubernetes/.`,
    );
  }
  return kubeConfig;
}
