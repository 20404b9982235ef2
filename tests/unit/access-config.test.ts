import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { entryText } from "../../src/access/access-entries.ts";
import { loadConfig } from "../../src/config.ts";
import { configProblems } from "../helpers/config-problems.ts";

describe("the access settings", () => {
  it("default to no rules, DMs allowed and no contact", () => {
    const { access } = loadConfig({});
    expect(access.policyFile).toBeNull();
    expect(access.env).toMatchObject({ allowDms: true, contact: null, allowedUsers: [], admins: [] });
  });

  it("read comma-separated lists, the DM switch and the contact", () => {
    const { access } = loadConfig({
      ACCESS_ALLOWED_USERS: "slack:U0ALICE, discord:123456789012345678,,",
      ACCESS_BLOCKED_USERS: "U0BOB",
      ACCESS_ALLOWED_CHANNELS: "C0DATA",
      ACCESS_BLOCKED_CHANNELS: "discord:223456789012345678",
      ACCESS_ALLOWED_WORKSPACES: "T0TEAM",
      ACCESS_BLOCKED_WORKSPACES: "discord:323456789012345678",
      ACCESS_ALLOWED_ROLES: "Analysts, Data Team",
      ACCESS_BLOCKED_ROLES: "423456789012345678",
      ACCESS_ADMINS: "slack:U0ADMIN",
      ACCESS_ALLOW_DMS: "false",
      ACCESS_CONTACT: "#it-help",
    });
    const env = access.env;
    expect(env.allowedUsers.map(entryText)).toEqual(["slack:U0ALICE", "discord:123456789012345678"]);
    expect(env.blockedUsers.map(entryText)).toEqual(["U0BOB"]);
    expect(env.allowedChannels.map(entryText)).toEqual(["C0DATA"]);
    expect(env.blockedChannels.map(entryText)).toEqual(["discord:223456789012345678"]);
    expect(env.allowedWorkspaces.map(entryText)).toEqual(["T0TEAM"]);
    expect(env.blockedWorkspaces.map(entryText)).toEqual(["discord:323456789012345678"]);
    expect(env.allowedRoles.map(entryText)).toEqual(["Analysts", "Data Team"]);
    expect(env.blockedRoles.map(entryText)).toEqual(["423456789012345678"]);
    expect(env.admins.map(entryText)).toEqual(["slack:U0ADMIN"]);
    expect(env).toMatchObject({ allowDms: false, contact: "#it-help" });
  });

  it("lists every entry that is not an id, with the other problems", () => {
    const problems = configProblems({
      ACCESS_BLOCKED_USERS: "@bob, U0EVE, teams:U0X",
      ACCESS_ALLOW_DMS: "sometimes",
      SANDBOX_CPUS: "-1",
    });
    expect(problems).toEqual([
      expect.stringMatching(/^SANDBOX_CPUS=-1/),
      expect.stringMatching(/^ACCESS_BLOCKED_USERS: "@bob" is not a user id/),
      expect.stringMatching(/^ACCESS_BLOCKED_USERS: "teams:U0X": unknown platform "teams"/),
      "ACCESS_ALLOW_DMS=sometimes must be true or false.",
    ]);
  });

  it("reads the policy file at start-up, relative to the working directory", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "cib-access-config-"));
    await writeFile(path.join(dir, "access.json"), '{"roles": {"blocked": ["Interns"]}, "allowDms": false}');
    const { access } = loadConfig({ ACCESS_POLICY_FILE: "access.json" }, dir);
    expect(access.policyFile?.path).toBe(path.join(dir, "access.json"));
    expect(access.policyFile?.rules.blockedRoles.map(entryText)).toEqual(["Interns"]);
    expect(access.policyFile?.rules.allowDms).toBe(false);
  });

  it("does not start with a missing or broken policy file, naming the file and each problem", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "cib-access-config-"));
    const missing = path.join(dir, "nope.yaml");
    expect(configProblems({ ACCESS_POLICY_FILE: missing })).toEqual([
      `ACCESS_POLICY_FILE (${missing}): the file does not exist.`,
    ]);
    const broken = path.join(dir, "access.yaml");
    await writeFile(broken, "users:\n  alowed: [U0ALICE]\nroles: { blocked: [slack:Admins] }\n");
    expect(configProblems({ ACCESS_POLICY_FILE: broken, LOG_LEVEL: "chatty" })).toEqual([
      expect.stringMatching(/^LOG_LEVEL=chatty/),
      `ACCESS_POLICY_FILE (${broken}): unknown setting "users.alowed" (expected allowed or blocked).`,
      `ACCESS_POLICY_FILE (${broken}): roles.blocked[0]: "slack:Admins": Slack has no roles (roles are Discord's).`,
    ]);
  });
});
