/**
 * What the API server checks before it stores a pod: validation (422 Invalid, with a cause per
 * field), the namespace's Pod Security level "baseline" (403 Forbidden), and that a RuntimeClass
 * it names exists (403). A subset of each, enough that a pod the fake accepts is one a cluster
 * with those admission rules would accept too.
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { forbidden, invalid, type StatusCause } from "./api-status.ts";
import { parseQuantity } from "./quantity.ts";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const RESTART_POLICIES = new Set(["Always", "OnFailure", "Never"]);
/** Pod Security "baseline" lets a container add only these capabilities. */
const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

/** Throws the API server's 422 for a pod it would not store. */
export function validatePod(pod: V1Pod): void {
  const name = pod.metadata?.name ?? "";
  const causes: StatusCause[] = [];
  const add = (field: string, reason: string, message: string) => causes.push({ field, reason, message });
  if (!name) add("metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    add(
      "metadata.name",
      "FieldValueInvalid",
      `Invalid value: "${name}": a lowercase RFC 1123 subdomain is required`,
    );
  }
  addMetadataCauses(pod, add);
  const spec = pod.spec;
  const containers = spec?.containers ?? [];
  if (containers.length === 0) add("spec.containers", "FieldValueRequired", "Required value");
  if (spec?.restartPolicy !== undefined && !RESTART_POLICIES.has(spec.restartPolicy)) {
    add("spec.restartPolicy", "FieldValueNotSupported", `Unsupported value: "${spec.restartPolicy}"`);
  }
  const volumes = new Set((spec?.volumes ?? []).map((volume) => volume.name));
  for (const [index, volume] of (spec?.volumes ?? []).entries()) {
    const size = volume.emptyDir?.sizeLimit;
    if (size !== undefined && parseQuantity(size) === null) {
      add(`spec.volumes[${index}].emptyDir.sizeLimit`, "FieldValueInvalid", `Invalid value: "${size}"`);
    }
  }
  containers.forEach((container, index) => {
    validateContainer(container, `spec.containers[${index}]`, volumes, add);
  });
  if (causes.length > 0) throw invalid("Pod", name, causes);
}

/** Labels and annotations alone, as a PATCH of them is checked. */
export function validatePodMetadata(pod: V1Pod): void {
  const causes: StatusCause[] = [];
  addMetadataCauses(pod, (field, reason, message) => causes.push({ field, reason, message }));
  if (causes.length > 0) throw invalid("Pod", pod.metadata?.name ?? "", causes);
}

function addMetadataCauses(pod: V1Pod, add: (field: string, reason: string, message: string) => void): void {
  for (const [key, value] of Object.entries(pod.metadata?.labels ?? {})) {
    if (!validQualifiedName(key))
      add("metadata.labels", "FieldValueInvalid", `Invalid value: "${key}": not a qualified name`);
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      add(
        "metadata.labels",
        "FieldValueInvalid",
        `Invalid value: "${String(value)}": not a valid label value`,
      );
    }
  }
  for (const key of Object.keys(pod.metadata?.annotations ?? {})) {
    if (!validQualifiedName(key))
      add("metadata.annotations", "FieldValueInvalid", `Invalid value: "${key}": not a qualified name`);
  }
}

function validateContainer(
  container: V1Container,
  field: string,
  volumes: Set<string>,
  add: (field: string, reason: string, message: string) => void,
): void {
  if (!container.name) add(`${field}.name`, "FieldValueRequired", "Required value");
  else if (container.name.length > 63 || !DNS_LABEL.test(container.name)) {
    add(
      `${field}.name`,
      "FieldValueInvalid",
      `Invalid value: "${container.name}": a lowercase RFC 1123 label is required`,
    );
  }
  if (!container.image) add(`${field}.image`, "FieldValueRequired", "Required value");
  for (const kind of ["limits", "requests"] as const) {
    for (const [resource, quantity] of Object.entries(container.resources?.[kind] ?? {})) {
      if (parseQuantity(quantity) === null) {
        add(`${field}.resources.${kind}[${resource}]`, "FieldValueInvalid", `Invalid value: "${quantity}"`);
      }
    }
  }
  for (const [resource, request] of Object.entries(container.resources?.requests ?? {})) {
    const limit = container.resources?.limits?.[resource];
    if (
      limit !== undefined &&
      (parseQuantity(request) ?? 0) > (parseQuantity(limit) ?? Number.POSITIVE_INFINITY)
    ) {
      add(
        `${field}.resources.requests`,
        "FieldValueInvalid",
        `Invalid value: "${request}": must be less than or equal to ${resource} limit of ${limit}`,
      );
    }
  }
  (container.volumeMounts ?? []).forEach((mount, index) => {
    if (!volumes.has(mount.name))
      add(`${field}.volumeMounts[${index}].name`, "FieldValueNotFound", `Not found: "${mount.name}"`);
  });
}

/** Throws the 403 of Pod Security admission for a namespace enforcing "baseline". */
export function admitBaseline(pod: V1Pod): void {
  const spec = pod.spec;
  const violations: string[] = [];
  const hostNamespaces = (["hostNetwork", "hostPID", "hostIPC"] as const).filter(
    (key) => spec?.[key] === true,
  );
  if (hostNamespaces.length > 0)
    violations.push(`host namespaces (${hostNamespaces.map((key) => `${key}=true`).join(", ")})`);
  if (spec?.volumes?.some((volume) => volume.hostPath)) violations.push("hostPath volumes");
  if (spec?.securityContext?.seccompProfile?.type === "Unconfined")
    violations.push("seccompProfile (pod must not set Unconfined)");
  for (const container of spec?.containers ?? []) {
    const context = container.securityContext;
    if (context?.privileged)
      violations.push(`privileged (container "${container.name}" must not set privileged=true)`);
    const extra = (context?.capabilities?.add ?? []).filter(
      (capability) => !BASELINE_CAPABILITIES.has(capability),
    );
    if (extra.length > 0)
      violations.push(
        `non-default capabilities (container "${container.name}" must not include ${extra.join(", ")})`,
      );
    if (context?.seccompProfile?.type === "Unconfined")
      violations.push(`seccompProfile (container "${container.name}" must not set Unconfined)`);
    if (container.ports?.some((port) => port.hostPort)) violations.push("hostPort");
  }
  if (violations.length > 0) {
    throw forbidden(
      "pods",
      pod.metadata?.name ?? "",
      `violates PodSecurity "baseline:latest": ${violations.join(", ")}`,
    );
  }
}

/** Throws the RuntimeClass admission's 403 for a class the cluster does not have. */
export function admitRuntimeClass(pod: V1Pod, known: ReadonlySet<string>): void {
  const name = pod.spec?.runtimeClassName;
  if (name !== undefined && !known.has(name)) {
    throw forbidden("pods", pod.metadata?.name ?? "", `pod rejected: RuntimeClass "${name}" not found`);
  }
}

function validQualifiedName(key: string): boolean {
  const [prefix, name] = key.includes("/")
    ? [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)]
    : ["", key];
  if (prefix && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}
