/**
 * The optional policy file (ACCESS_POLICY_FILE), YAML or JSON: read and checked strictly.
 * Unknown keys, wrong types and ids that are not ids are problems, never ignored, because a
 * typo there ("blokced:") would silently let people in. JSON is read by the same YAML 1.2
 * parser (JSON is part of YAML 1.2), with integers kept exact: Discord ids are larger than a
 * double can hold, and `123456789012345678` written without quotes must still be that id.
 *
 *   allowDms: false
 *   contact: "#it-help"
 *   admins: [slack:U0123ABCD]
 *   users: { allowed: [...], blocked: [...] }
 *   channels / workspaces / roles: the same shape as users
 */
import { readFileSync, type Stats, statSync } from "node:fs";
import { parseDocument } from "yaml";
import { type AccessEntry, type EntryKind, parseEntry } from "./access-entries.ts";
import { type AccessLists, EMPTY_LISTS } from "./access-policy.ts";

export interface PolicyFileRules extends AccessLists {
  /** Set only when the file says; the environment's value stands otherwise. */
  allowDms?: boolean;
  /** Set only when the file says; null (or "") names nobody. */
  contact?: string | null;
}

export type PolicyFileResult = { ok: true; rules: PolicyFileRules } | { ok: false; problems: string[] };

/** What was read, and which version of the file it was (see fileVersion). */
export type PolicyFileRead = PolicyFileResult & { version: string };

const SECTIONS = {
  users: { kind: "user", allowed: "allowedUsers", blocked: "blockedUsers" },
  channels: { kind: "channel", allowed: "allowedChannels", blocked: "blockedChannels" },
  workspaces: { kind: "workspace", allowed: "allowedWorkspaces", blocked: "blockedWorkspaces" },
  roles: { kind: "role", allowed: "allowedRoles", blocked: "blockedRoles" },
} as const satisfies Record<
  string,
  { kind: EntryKind; allowed: keyof AccessLists; blocked: keyof AccessLists }
>;

const TOP_KEYS = ["allowDms", "contact", "admins", ...Object.keys(SECTIONS)];

/**
 * Tells versions of the file apart without reading it: an editor's save replaces the file (a
 * new inode) or rewrites it (a new mtime, usually a new size). "missing" when it is gone.
 */
export function fileVersion(stats: Stats | null): string {
  return stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}` : "missing";
}

/** The file's stats, or null when it cannot be looked at (reading it then says why). */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** Reads and checks the file; a missing or unreadable file is a problem like any other. */
export function readPolicyFile(path: string): PolicyFileRead {
  // The version is taken before the read: a change in between is then seen again, never missed.
  const version = fileVersion(statOrNull(path));
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(error)})`;
    return { ok: false, problems: [`the file ${why}`], version };
  }
  return { ...parsePolicyText(text), version };
}

export function parsePolicyText(text: string): PolicyFileResult {
  const doc = parseDocument(text, { intAsBigInt: true });
  if (doc.errors.length > 0) {
    // The parser's messages end with a drawing of the spot; the first line says where and what.
    return { ok: false, problems: doc.errors.map((error) => error.message.split("\n")[0] ?? error.message) };
  }
  const data: unknown = doc.toJS();
  // An empty file (or one caught half-written) must not open the bot to everyone.
  if (data === null || data === undefined) {
    return { ok: false, problems: ["the file is empty (write {} for a file with no rules)"] };
  }
  if (!isMapping(data)) return { ok: false, problems: ["the file must be a mapping of settings"] };
  const problems: string[] = [];
  const lists: Record<keyof AccessLists, AccessEntry[]> = {
    ...(EMPTY_LISTS as Record<keyof AccessLists, AccessEntry[]>),
  };
  const rules: PolicyFileRules = lists;
  for (const [key, value] of Object.entries(data)) {
    if (key === "allowDms") {
      if (typeof value === "boolean") rules.allowDms = value;
      else problems.push(`allowDms: must be true or false, not ${shown(value)}`);
    } else if (key === "contact") {
      if (value === null || typeof value === "string") rules.contact = value?.trim() || null;
      else problems.push(`contact: must be text, not ${shown(value)}`);
    } else if (key === "admins") {
      lists.admins = entries(value, "admins", "user", problems);
    } else if (isSection(key)) {
      readSection(key, value, lists, problems);
    } else {
      problems.push(`unknown setting "${key}" (expected one of: ${TOP_KEYS.join(", ")})`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}

function readSection(
  key: keyof typeof SECTIONS,
  value: unknown,
  lists: Record<keyof AccessLists, AccessEntry[]>,
  problems: string[],
): void {
  const section = SECTIONS[key];
  if (value === null) return;
  if (!isMapping(value)) {
    problems.push(`${key}: must be a mapping with "allowed" and/or "blocked" lists, not ${shown(value)}`);
    return;
  }
  for (const [which, list] of Object.entries(value)) {
    if (which === "allowed" || which === "blocked") {
      lists[section[which]] = entries(list, `${key}.${which}`, section.kind, problems);
    } else {
      problems.push(`unknown setting "${key}.${which}" (expected allowed or blocked)`);
    }
  }
}

function entries(value: unknown, where: string, kind: EntryKind, problems: string[]): AccessEntry[] {
  if (value === null) return [];
  if (!Array.isArray(value)) {
    problems.push(`${where}: must be a list, not ${shown(value)}`);
    return [];
  }
  return value.flatMap((item: unknown, index): AccessEntry[] => {
    // Integers arrive as bigint (exact); a role may be named by a plain number too.
    const raw = typeof item === "bigint" ? item.toString() : item;
    if (typeof raw !== "string") {
      problems.push(`${where}[${index}]: must be an id as text, not ${shown(item)}`);
      return [];
    }
    const entry = parseEntry(raw, kind);
    if (typeof entry === "string") {
      problems.push(`${where}[${index}]: ${entry}`);
      return [];
    }
    return [entry];
  });
}

function isSection(key: string): key is keyof typeof SECTIONS {
  return Object.hasOwn(SECTIONS, key);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "nothing";
  if (typeof value === "object") return "a mapping";
  return typeof value === "string" ? `"${value}"` : String(value);
}
