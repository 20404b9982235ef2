/**
 * The access rules and the one pure function that applies them to a message. Admins first,
 * then every block list, then DMs, then the allow lists: an empty allow list lets everyone in
 * on its dimension, a non-empty one lets in only who (or where) it names.
 */
import type { IncomingMessage } from "../bot/incoming-message.ts";
import type { AccessDecision } from "./access-decision.ts";
import { type AccessEntry, anyRoleListed, listed, RULED_PLATFORMS } from "./access-entries.ts";

export interface AccessLists {
  admins: readonly AccessEntry[];
  allowedUsers: readonly AccessEntry[];
  blockedUsers: readonly AccessEntry[];
  allowedChannels: readonly AccessEntry[];
  blockedChannels: readonly AccessEntry[];
  allowedWorkspaces: readonly AccessEntry[];
  blockedWorkspaces: readonly AccessEntry[];
  allowedRoles: readonly AccessEntry[];
  blockedRoles: readonly AccessEntry[];
}

export const LIST_NAMES = [
  "admins",
  "allowedUsers",
  "blockedUsers",
  "allowedChannels",
  "blockedChannels",
  "allowedWorkspaces",
  "blockedWorkspaces",
  "allowedRoles",
  "blockedRoles",
] as const satisfies ReadonlyArray<keyof AccessLists>;

export interface AccessPolicy extends AccessLists {
  allowDms: boolean;
  /** Who to ask for access (a channel, a person), named in refusals; null names nobody. */
  contact: string | null;
}

export const EMPTY_LISTS: AccessLists = {
  admins: [],
  allowedUsers: [],
  blockedUsers: [],
  allowedChannels: [],
  blockedChannels: [],
  allowedWorkspaces: [],
  blockedWorkspaces: [],
  allowedRoles: [],
  blockedRoles: [],
};

export const OPEN_POLICY: AccessPolicy = { ...EMPTY_LISTS, allowDms: true, contact: null };

export const DM_REFUSAL =
  "I don't take direct messages here. Mention me in a channel where I'm enabled instead.";

/** The refusal people get: short, naming no ids and no rules. */
export function refusalText(contact: string | null): string {
  const next = contact
    ? ` Ask ${contact} for access.`
    : " If you need me, ask whoever runs this workspace's bots.";
  return `I'm not enabled for you here.${next}`;
}

export type AccessSubject = Pick<IncomingMessage, "conversation" | "author" | "place">;

export function decideAccess(policy: AccessPolicy, message: AccessSubject): AccessDecision {
  const { platform, workspace, channel } = message.conversation;
  // The web chat is guarded by its own sign-in token (WEB_TOKEN) and the CLI by the shell it runs
  // in: whoever got that far runs the bot, so the chat platforms' rules do not apply to them.
  if (!(RULED_PLATFORMS as readonly string[]).includes(platform)) {
    return { allowed: true, admin: true, reason: `${platform} is not governed by access rules` };
  }
  const user = message.author.id;
  const roles = message.author.roles ?? [];
  if (listed(policy.admins, platform, user)) return { allowed: true, admin: true, reason: "admin" };
  const refuse = (reason: string, text = refusalText(policy.contact)): AccessDecision => ({
    allowed: false,
    reason,
    text,
  });
  const direct = message.place === "direct";
  // A Discord DM belongs to no server; its workspace is the placeholder "dm".
  const hasWorkspace = !(platform === "discord" && workspace === "dm");
  if (listed(policy.blockedUsers, platform, user)) return refuse("blocked user");
  if (anyRoleListed(policy.blockedRoles, platform, roles)) return refuse("blocked role");
  if (listed(policy.blockedChannels, platform, channel)) return refuse("blocked channel");
  if (hasWorkspace && listed(policy.blockedWorkspaces, platform, workspace))
    return refuse("blocked workspace");
  if (direct && !policy.allowDms) return refuse("DMs disabled", DM_REFUSAL);
  const person = personAllowed(policy, platform, user, roles);
  if (!person.allowed) return refuse(person.reason);
  if (!direct && policy.allowedChannels.length > 0 && !listed(policy.allowedChannels, platform, channel)) {
    return refuse("not in allowed channels");
  }
  if (
    hasWorkspace &&
    policy.allowedWorkspaces.length > 0 &&
    !listed(policy.allowedWorkspaces, platform, workspace)
  ) {
    return refuse("not in allowed workspaces");
  }
  return { allowed: true, admin: false, reason: person.reason };
}

/** The person dimension: allowed users and allowed roles together are one allow list. */
function personAllowed(
  policy: AccessPolicy,
  platform: string,
  user: string,
  roles: ReadonlyArray<{ id: string; name: string }>,
): { allowed: boolean; reason: string } {
  const byUser = policy.allowedUsers.length > 0;
  const byRole = policy.allowedRoles.length > 0;
  if (!byUser && !byRole) return { allowed: true, reason: "no rule refused it" };
  if (byUser && listed(policy.allowedUsers, platform, user)) return { allowed: true, reason: "allowed user" };
  if (byRole && anyRoleListed(policy.allowedRoles, platform, roles)) {
    return { allowed: true, reason: "allowed role" };
  }
  const lists = byUser && byRole ? "allowed users or roles" : byUser ? "allowed users" : "allowed roles";
  return { allowed: false, reason: `not in ${lists}` };
}

/** How many entries each list holds, for the log. */
export function listCounts(policy: AccessLists): Record<keyof AccessLists, number> {
  return Object.fromEntries(LIST_NAMES.map((name) => [name, policy[name].length])) as Record<
    keyof AccessLists,
    number
  >;
}

/** Env lists and a policy file's lists together; the file's settings win where it has them. */
export function mergePolicy(
  base: AccessPolicy,
  file: AccessLists & { allowDms?: boolean; contact?: string | null },
): AccessPolicy {
  const lists = Object.fromEntries(
    LIST_NAMES.map((name) => [name, [...base[name], ...file[name]]]),
  ) as Record<keyof AccessLists, AccessEntry[]>;
  return {
    ...lists,
    allowDms: file.allowDms ?? base.allowDms,
    contact: file.contact === undefined ? base.contact : file.contact,
  };
}
