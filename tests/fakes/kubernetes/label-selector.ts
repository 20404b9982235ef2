/**
 * Label selectors as the API server reads them, equality-based only: `a=b`, `a==b`, `a!=b`,
 * comma-separated, all of which must hold. Set-based forms (`in`, `notin`, `!a`, a bare key)
 * are refused rather than misread, so a client that sends one finds out.
 */
import { badRequest } from "./api-status.ts";

export interface Requirement {
  key: string;
  operator: "=" | "!=";
  value: string;
}

const REQUIREMENT = /^\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*(==|!=|=)\s*([-A-Za-z0-9_.]*)\s*$/;

export function parseLabelSelector(text: string): Requirement[] {
  if (text.trim() === "") return [];
  return text.split(",").map((part) => {
    const match = REQUIREMENT.exec(part);
    if (!match)
      throw badRequest(
        `unable to parse requirement: the fake understands only equality selectors: "${part}"`,
      );
    const [, key = "", operator, value = ""] = match;
    return { key, operator: operator === "!=" ? "!=" : "=", value };
  });
}

export function matchesSelector(
  labels: Record<string, string> | undefined,
  requirements: Requirement[],
): boolean {
  return requirements.every(({ key, operator, value }) => {
    const actual = labels?.[key];
    // As in Kubernetes, `a!=b` also selects objects without the label `a`.
    return operator === "=" ? actual === value : actual !== value;
  });
}
