/**
 * The access settings: simple lists in ACCESS_* variables (comma separated), longer ones in an
 * optional policy file. The file is read and checked here, at start-up, so a missing or broken
 * file is reported with every other configuration problem and the bot does not start on rules
 * it cannot read; later edits are picked up by the gate (access-gate.ts).
 */
import path from "node:path";
import type { EnvReader } from "../config.ts";
import { type AccessEntry, type EntryKind, parseEntry } from "./access-entries.ts";
import type { AccessLists, AccessPolicy } from "./access-policy.ts";
import { type PolicyFileRules, readPolicyFile } from "./policy-file.ts";

export interface AccessConfig {
  /** The rules from the environment alone. */
  env: AccessPolicy;
  /** The policy file and the rules it held at start-up, when ACCESS_POLICY_FILE is set. */
  policyFile: { path: string; rules: PolicyFileRules; version: string } | null;
}

const LIST_VARIABLES: ReadonlyArray<[keyof AccessLists, string, EntryKind]> = [
  ["admins", "ACCESS_ADMINS", "user"],
  ["allowedUsers", "ACCESS_ALLOWED_USERS", "user"],
  ["blockedUsers", "ACCESS_BLOCKED_USERS", "user"],
  ["allowedChannels", "ACCESS_ALLOWED_CHANNELS", "channel"],
  ["blockedChannels", "ACCESS_BLOCKED_CHANNELS", "channel"],
  ["allowedWorkspaces", "ACCESS_ALLOWED_WORKSPACES", "workspace"],
  ["blockedWorkspaces", "ACCESS_BLOCKED_WORKSPACES", "workspace"],
  ["allowedRoles", "ACCESS_ALLOWED_ROLES", "role"],
  ["blockedRoles", "ACCESS_BLOCKED_ROLES", "role"],
];

export function readAccess(read: EnvReader, cwd: string): AccessConfig {
  const lists = Object.fromEntries(
    LIST_VARIABLES.map(([key, name, kind]) => [key, readList(read, name, kind)]),
  ) as Record<keyof AccessLists, AccessEntry[]>;
  const env: AccessPolicy = {
    ...lists,
    allowDms: read.boolean("ACCESS_ALLOW_DMS", true),
    contact: read.optionalString("ACCESS_CONTACT"),
  };
  const file = read.optionalString("ACCESS_POLICY_FILE");
  if (file === null) return { env, policyFile: null };
  const filePath = path.resolve(cwd, file);
  const loaded = readPolicyFile(filePath);
  if (!loaded.ok) {
    for (const problem of loaded.problems) read.problem(`ACCESS_POLICY_FILE (${filePath}): ${problem}.`);
    return { env, policyFile: null };
  }
  return { env, policyFile: { path: filePath, rules: loaded.rules, version: loaded.version } };
}

function readList(read: EnvReader, name: string, kind: EntryKind): AccessEntry[] {
  const raw = read.optionalString(name);
  if (raw === null) return [];
  return raw
    .split(",")
    .filter((part) => part.trim() !== "")
    .flatMap((part): AccessEntry[] => {
      const entry = parseEntry(part, kind);
      if (typeof entry !== "string") return [entry];
      read.problem(`${name}: ${entry}.`);
      return [];
    });
}
