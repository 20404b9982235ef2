import { describe, expect, it } from "vitest";
import { type AccessEntry, parseEntry } from "../../src/access/access-entries.ts";
import {
  type AccessPolicy,
  type AccessSubject,
  DM_REFUSAL,
  decideAccess,
  EMPTY_LISTS,
  mergePolicy,
  OPEN_POLICY,
  refusalText,
} from "../../src/access/access-policy.ts";

function parsed(raw: string[], kind: "user" | "role"): AccessEntry[] {
  return raw.map((text) => {
    const entry = parseEntry(text, kind);
    if (typeof entry === "string") throw new Error(entry);
    return entry;
  });
}

/** Users, channels and workspaces: ids of the same shapes. */
const entries = (...raw: string[]) => parsed(raw, "user");
const roles = (...raw: string[]) => parsed(raw, "role");

function policy(rules: Partial<AccessPolicy>): AccessPolicy {
  return { ...OPEN_POLICY, ...rules };
}

const ANALYSTS = { id: "600000000000000001", name: "Analysts" };
const INTERNS = { id: "600000000000000002", name: "Interns" };

function slack(
  overrides: { user?: string; channel?: string; team?: string; direct?: boolean } = {},
): AccessSubject {
  return {
    conversation: {
      platform: "slack",
      workspace: overrides.team ?? "T0TEAM",
      channel: overrides.channel ?? (overrides.direct ? "D0ALICE" : "C0GENERAL"),
      thread: "1700000000.000100",
    },
    author: { id: overrides.user ?? "U0ALICE" },
    place: overrides.direct ? "direct" : "channel",
  };
}

function discord(
  overrides: {
    user?: string;
    roles?: Array<{ id: string; name: string }>;
    guild?: string;
    direct?: boolean;
  } = {},
): AccessSubject {
  return {
    conversation: {
      platform: "discord",
      workspace: overrides.direct ? "dm" : (overrides.guild ?? "300000000000000001"),
      channel: "200000000000000001",
      thread: "500000000000000001",
    },
    author: { id: overrides.user ?? "400000000000000001", roles: overrides.roles ?? [] },
    place: overrides.direct ? "direct" : "channel",
  };
}

describe("decideAccess", () => {
  it("lets everyone in when there are no rules, as nobody's admin", () => {
    expect(decideAccess(OPEN_POLICY, slack())).toMatchObject({ allowed: true, admin: false });
    expect(decideAccess(OPEN_POLICY, discord({ direct: true }))).toMatchObject({
      allowed: true,
      admin: false,
    });
  });

  it("refuses a blocked user, on the platform the entry names or on any for a bare id", () => {
    const rules = policy({ blockedUsers: entries("slack:U0BOB", "400000000000000009") });
    expect(decideAccess(rules, slack({ user: "U0BOB" }))).toMatchObject({
      allowed: false,
      reason: "blocked user",
    });
    expect(decideAccess(rules, discord({ user: "400000000000000009" }))).toMatchObject({ allowed: false });
    expect(decideAccess(rules, slack())).toMatchObject({ allowed: true });
    // slack:U0BOB is not a Discord user of that id.
    const sameIdElsewhere = policy({ blockedUsers: entries("discord:400000000000000001") });
    expect(decideAccess(sameIdElsewhere, slack({ user: "400000000000000001" }))).toMatchObject({
      allowed: true,
    });
  });

  it("lets in only allowed users when there is a user allow list", () => {
    const rules = policy({ allowedUsers: entries("U0ALICE") });
    expect(decideAccess(rules, slack())).toMatchObject({ allowed: true, reason: "allowed user" });
    expect(decideAccess(rules, slack({ user: "U0CAROL" }))).toEqual({
      allowed: false,
      reason: "not in allowed users",
      text: refusalText(null),
    });
  });

  it("matches roles by id or by name, in any case, and blocks before it allows", () => {
    const byName = policy({ allowedRoles: roles("analysts") });
    expect(decideAccess(byName, discord({ roles: [ANALYSTS] }))).toMatchObject({
      allowed: true,
      reason: "allowed role",
    });
    expect(decideAccess(byName, discord({ roles: [INTERNS] }))).toMatchObject({
      allowed: false,
      reason: "not in allowed roles",
    });
    const blocked = policy({ allowedRoles: roles("Analysts"), blockedRoles: roles(`discord:${INTERNS.id}`) });
    expect(decideAccess(blocked, discord({ roles: [ANALYSTS, INTERNS] }))).toMatchObject({
      allowed: false,
      reason: "blocked role",
    });
  });

  it("treats allowed users and allowed roles as one list of people", () => {
    const rules = policy({ allowedUsers: entries("400000000000000007"), allowedRoles: roles("Analysts") });
    expect(decideAccess(rules, discord({ user: "400000000000000007" }))).toMatchObject({ allowed: true });
    expect(decideAccess(rules, discord({ roles: [ANALYSTS] }))).toMatchObject({ allowed: true });
    expect(decideAccess(rules, discord())).toMatchObject({
      allowed: false,
      reason: "not in allowed users or roles",
    });
    // Slack has no roles: with a role allow list, only listed users get in there.
    expect(decideAccess(rules, slack())).toMatchObject({ allowed: false });
  });

  it("blocks and allows channels, and does not hold a DM to the channel allow list", () => {
    const rules = policy({ allowedChannels: entries("C0DATA"), blockedChannels: entries("slack:C0RANDOM") });
    expect(decideAccess(rules, slack({ channel: "C0DATA" }))).toMatchObject({ allowed: true });
    expect(decideAccess(rules, slack({ channel: "C0RANDOM" }))).toMatchObject({
      allowed: false,
      reason: "blocked channel",
    });
    expect(decideAccess(rules, slack({ channel: "C0GENERAL" }))).toMatchObject({
      allowed: false,
      reason: "not in allowed channels",
    });
    expect(decideAccess(rules, slack({ direct: true }))).toMatchObject({ allowed: true });
  });

  it("blocks and allows workspaces, leaving Discord DMs (no server) to the other rules", () => {
    const blocked = policy({ blockedWorkspaces: entries("discord:300000000000000001") });
    expect(decideAccess(blocked, discord())).toMatchObject({ allowed: false, reason: "blocked workspace" });
    expect(decideAccess(blocked, discord({ guild: "300000000000000002" }))).toMatchObject({ allowed: true });
    const allowed = policy({ allowedWorkspaces: entries("slack:T0TEAM") });
    expect(decideAccess(allowed, slack())).toMatchObject({ allowed: true });
    expect(decideAccess(allowed, slack({ team: "T0OTHER" }))).toMatchObject({
      allowed: false,
      reason: "not in allowed workspaces",
    });
    expect(decideAccess(allowed, discord())).toMatchObject({ allowed: false });
    expect(decideAccess(allowed, discord({ direct: true }))).toMatchObject({ allowed: true });
  });

  it("refuses DMs when they are off, with its own text, and still lets admins in", () => {
    const rules = policy({ allowDms: false, admins: entries("slack:U0ADMIN") });
    expect(decideAccess(rules, slack({ direct: true }))).toEqual({
      allowed: false,
      reason: "DMs disabled",
      text: DM_REFUSAL,
    });
    expect(decideAccess(rules, discord({ direct: true }))).toMatchObject({
      allowed: false,
      reason: "DMs disabled",
    });
    expect(decideAccess(rules, slack())).toMatchObject({ allowed: true });
    expect(decideAccess(rules, slack({ user: "U0ADMIN", direct: true }))).toEqual({
      allowed: true,
      admin: true,
      reason: "admin",
    });
  });

  it("always lets admins in, past every block and allow list", () => {
    const rules = policy({
      admins: entries("U0ADMIN"),
      blockedUsers: entries("U0ADMIN"),
      blockedChannels: entries("C0GENERAL"),
      allowedUsers: entries("U0ALICE"),
    });
    expect(decideAccess(rules, slack({ user: "U0ADMIN" }))).toMatchObject({ allowed: true, admin: true });
    expect(decideAccess(rules, slack())).toMatchObject({ allowed: false, reason: "blocked channel" });
  });

  it("leaves the web chat (its sign-in token guards it) and the CLI to their own guards, as admins", () => {
    const rules = policy({ allowedUsers: entries("U0ALICE"), allowDms: false });
    const web: AccessSubject = {
      conversation: { platform: "web", workspace: "local", channel: "web", thread: "t1" },
      author: { id: "web-user" },
      place: "direct",
    };
    expect(decideAccess(rules, web)).toMatchObject({ allowed: true, admin: true });
  });

  it("words refusals without ids, naming the contact when there is one", () => {
    expect(refusalText(null)).toBe(
      "I'm not enabled for you here. If you need me, ask whoever runs this workspace's bots.",
    );
    expect(refusalText("#it-help")).toBe("I'm not enabled for you here. Ask #it-help for access.");
    const rules = policy({ contact: "#it-help", blockedUsers: entries("U0ALICE") });
    expect(decideAccess(rules, slack())).toMatchObject({
      text: "I'm not enabled for you here. Ask #it-help for access.",
    });
  });
});

describe("parseEntry", () => {
  it("reads platform-prefixed and bare ids", () => {
    expect(parseEntry("slack:U0123ABCD", "user")).toEqual({ platform: "slack", value: "U0123ABCD" });
    expect(parseEntry(" Discord:123456789012345678 ", "user")).toEqual({
      platform: "discord",
      value: "123456789012345678",
    });
    expect(parseEntry("T0123ABCD", "workspace")).toEqual({ platform: null, value: "T0123ABCD" });
  });

  it("names what is wrong with an entry that is not an id", () => {
    expect(parseEntry("@alice", "user")).toMatch(/"@alice" is not a user id/);
    expect(parseEntry("#general", "channel")).toMatch(/is not a channel id/);
    expect(parseEntry("discord:U0ALICE", "user")).toMatch(/is not a user id/);
    expect(parseEntry("teams:U0ALICE", "user")).toMatch(/unknown platform "teams"/);
    expect(parseEntry("slack:Admins", "role")).toMatch(/Slack has no roles/);
  });

  it("takes any role name, colons included", () => {
    expect(parseEntry("team: data", "role")).toEqual({ platform: null, value: "team: data" });
    expect(parseEntry("discord:Analysts", "role")).toEqual({ platform: "discord", value: "Analysts" });
  });
});

describe("mergePolicy", () => {
  it("unions the lists, and lets the file's DM setting and contact win where it has them", () => {
    const env = policy({ blockedUsers: entries("U0BOB"), allowDms: false, contact: "#help" });
    const merged = mergePolicy(env, { ...EMPTY_LISTS, blockedUsers: entries("U0EVE"), allowDms: true });
    expect(merged.blockedUsers.map((e) => e.value)).toEqual(["U0BOB", "U0EVE"]);
    expect(merged).toMatchObject({ allowDms: true, contact: "#help" });
    expect(mergePolicy(env, EMPTY_LISTS)).toMatchObject({ allowDms: false, contact: "#help" });
    expect(mergePolicy(env, { ...EMPTY_LISTS, contact: null }).contact).toBeNull();
  });
});
