/**
 * PATCH on a pod as the fake serves it: a JSON merge patch (RFC 7386, `application/merge-patch+json`)
 * of its labels and annotations, the part of a running pod that may change and the only part the
 * bot changes. A patch that touches anything else is refused, rather than half applied; a
 * `metadata.resourceVersion` in the patch is a precondition, as on a real API server.
 */
import type { V1Pod } from "@kubernetes/client-node";
import { badRequest, conflict, invalid, unsupportedMediaType } from "./api-status.ts";

const MERGE_PATCH = "application/merge-patch+json";
const CHANGEABLE = new Set(["labels", "annotations", "resourceVersion"]);

/** The pod's new labels and annotations, or an ApiStatusError saying why not. */
export function mergeMetadataPatch(
  pod: V1Pod,
  contentType: string | undefined,
  body: unknown,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const name = pod.metadata?.name ?? "";
  const type = (contentType ?? "").split(";")[0]?.trim() ?? "";
  if (type !== MERGE_PATCH) throw unsupportedMediaType(type || "(none)");
  if (!isRecord(body)) throw badRequest("the patch is not a JSON object");
  const outside = Object.keys(body).filter((key) => key !== "metadata");
  const metadata = body.metadata ?? {};
  if (!isRecord(metadata)) throw badRequest("metadata in the patch is not a JSON object");
  outside.push(
    ...Object.keys(metadata)
      .filter((key) => !CHANGEABLE.has(key))
      .map((key) => `metadata.${key}`),
  );
  if (outside.length > 0) {
    throw invalid(
      "Pod",
      name,
      outside.map((field) => ({
        reason: "FieldValueForbidden",
        message: "Forbidden: the fake API server patches only labels and annotations",
        field,
      })),
    );
  }
  const expected = metadata.resourceVersion;
  if (expected !== undefined && expected !== pod.metadata?.resourceVersion) throw conflict("pods", name);
  return {
    labels: merged(pod.metadata?.labels, metadata.labels, "metadata.labels", name),
    annotations: merged(pod.metadata?.annotations, metadata.annotations, "metadata.annotations", name),
  };
}

/** RFC 7386 on a string map: a key set to null is removed, a string replaces. */
function merged(
  current: Record<string, string> | undefined,
  patch: unknown,
  field: string,
  name: string,
): Record<string, string> {
  const result = { ...(current ?? {}) };
  if (patch === undefined) return result;
  if (!isRecord(patch)) throw badRequest(`${field} in the patch is not a JSON object`);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (typeof value === "string") result[key] = value;
    else
      throw invalid("Pod", name, [
        { reason: "FieldValueInvalid", message: `Invalid value: not a string`, field: `${field}.${key}` },
      ]);
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
