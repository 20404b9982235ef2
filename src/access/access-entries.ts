/**
 * One entry of an access list, as an admin writes it: `slack:U0123ABCD`, `discord:123456789`,
 * or a bare id that matches on any platform; roles are a role id or a role name. Entries are
 * checked strictly, because a mistyped id in a block list silently blocks nobody.
 */

/** The platforms access rules govern; the web chat and the CLI are local and have none. */
export const RULED_PLATFORMS = ["slack", "discord"] as const;
export type RuledPlatform = (typeof RULED_PLATFORMS)[number];

export interface AccessEntry {
  /** Null: a bare id, matching on every platform. */
  platform: RuledPlatform | null;
  /** An id, or for roles an id or a name (compared case-insensitively). */
  value: string;
}

export type EntryKind = "user" | "channel" | "workspace" | "role";

// Slack ids are upper-case letters and digits starting with a letter (U…, C…, T…); Discord's are snowflakes.
const SLACK_ID = /^[A-Z][A-Z0-9]{2,}$/;
const DISCORD_ID = /^\d{1,20}$/;

const EXAMPLES: Record<Exclude<EntryKind, "role">, string> = {
  user: "slack:U0123ABCD, discord:123456789012345678 or a bare id",
  channel: "slack:C0123ABCD, discord:123456789012345678 or a bare id",
  workspace:
    "a Slack team id (slack:T0123ABCD), a Discord server id (discord:123456789012345678) or a bare id",
};

/** An entry, or a sentence saying what is wrong with it. */
export function parseEntry(raw: string, kind: EntryKind): AccessEntry | string {
  const text = raw.trim();
  if (!text) return "an empty entry";
  const colon = text.indexOf(":");
  const prefix = colon > 0 ? text.slice(0, colon).toLowerCase() : null;
  const platform = RULED_PLATFORMS.find((p) => p === prefix) ?? null;
  const value = platform ? text.slice(colon + 1).trim() : text;
  if (kind === "role") {
    // Role names may hold anything, colons included; only a Discord prefix means something.
    if (platform === "slack") return `"${text}": Slack has no roles (roles are Discord's)`;
    return value ? { platform, value } : `"${text}" names no role`;
  }
  if (prefix !== null && platform === null) {
    return `"${text}": unknown platform "${prefix}" (use slack: or discord:)`;
  }
  const fits =
    platform === "slack"
      ? SLACK_ID.test(value)
      : platform === "discord"
        ? DISCORD_ID.test(value)
        : SLACK_ID.test(value) || DISCORD_ID.test(value);
  return fits ? { platform, value } : `"${text}" is not a ${kind} id (${EXAMPLES[kind]})`;
}

/** Whether an id on `platform` is in the list. */
export function listed(entries: readonly AccessEntry[], platform: string, id: string): boolean {
  return entries.some(
    (entry) => (entry.platform === null || entry.platform === platform) && entry.value === id,
  );
}

/** Whether any of the roles is in the list, by id or by name. */
export function anyRoleListed(
  entries: readonly AccessEntry[],
  platform: string,
  roles: ReadonlyArray<{ id: string; name: string }>,
): boolean {
  return entries.some(
    (entry) =>
      (entry.platform === null || entry.platform === platform) &&
      roles.some((role) => role.id === entry.value || role.name.toLowerCase() === entry.value.toLowerCase()),
  );
}

/** How an entry is written back, for logs and tests. */
export function entryText(entry: AccessEntry): string {
  return entry.platform ? `${entry.platform}:${entry.value}` : entry.value;
}
