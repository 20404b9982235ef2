import { describe, expect, it } from "vitest";
import { entryText } from "../../src/access/access-entries.ts";
import { type PolicyFileResult, parsePolicyText } from "../../src/access/policy-file.ts";

function rules(result: PolicyFileResult) {
  if (!result.ok) throw new Error(`rejected: ${result.problems.join("; ")}`);
  return result.rules;
}

function problems(result: PolicyFileResult): string[] {
  if (result.ok) throw new Error("accepted a file it should have refused");
  return result.problems;
}

describe("the policy file", () => {
  it("reads every list from YAML, Discord ids exact even without quotes", () => {
    const read = rules(
      parsePolicyText(`
allowDms: false
contact: "#it-help"
admins: [slack:U0ADMIN]
users:
  allowed: [U0ALICE, discord:123456789012345678]
  blocked: [123456789012345679]
channels: { allowed: [C0DATA], blocked: [] }
workspaces: { blocked: [slack:T0OTHER] }
roles:
  allowed: [Analysts, "234567890123456789"]
  blocked: [interns]
`),
    );
    expect(read.allowDms).toBe(false);
    expect(read.contact).toBe("#it-help");
    expect(read.admins.map(entryText)).toEqual(["slack:U0ADMIN"]);
    expect(read.allowedUsers.map(entryText)).toEqual(["U0ALICE", "discord:123456789012345678"]);
    expect(read.blockedUsers.map(entryText)).toEqual(["123456789012345679"]);
    expect(read.allowedChannels.map(entryText)).toEqual(["C0DATA"]);
    expect(read.blockedWorkspaces.map(entryText)).toEqual(["slack:T0OTHER"]);
    expect(read.allowedRoles.map(entryText)).toEqual(["Analysts", "234567890123456789"]);
    expect(read.blockedRoles.map(entryText)).toEqual(["interns"]);
  });

  it("reads JSON the same way, and leaves out what the file does not say", () => {
    const read = rules(parsePolicyText('{"users": {"blocked": [123456789012345678]}}'));
    expect(read.blockedUsers.map(entryText)).toEqual(["123456789012345678"]);
    expect("allowDms" in read).toBe(false);
    expect("contact" in read).toBe(false);
    expect(rules(parsePolicyText("{}")).allowedUsers).toEqual([]);
  });

  it("refuses unknown keys, so a typo never lets people in", () => {
    expect(problems(parsePolicyText("users:\n  blokced: [U0BOB]\nalowDms: true\n"))).toEqual([
      'unknown setting "users.blokced" (expected allowed or blocked)',
      'unknown setting "alowDms" (expected one of: allowDms, contact, admins, users, channels, workspaces, roles)',
    ]);
  });

  it("names every wrong type and every id that is not one, with where it is", () => {
    const found = problems(
      parsePolicyText(`
allowDms: "no"
contact: 5
admins: slack:U0ADMIN
users: [U0ALICE]
channels:
  allowed: ["#general", C0DATA, 1.5]
`),
    );
    expect(found).toEqual([
      'allowDms: must be true or false, not "no"',
      "contact: must be text, not 5",
      'admins: must be a list, not "slack:U0ADMIN"',
      'users: must be a mapping with "allowed" and/or "blocked" lists, not a list',
      expect.stringMatching(/^channels\.allowed\[0\]: "#general" is not a channel id/),
      "channels.allowed[2]: must be an id as text, not 1.5",
    ]);
  });

  it("refuses an empty file and broken syntax, saying where", () => {
    expect(problems(parsePolicyText(""))).toEqual(["the file is empty (write {} for a file with no rules)"]);
    expect(problems(parsePolicyText("users:\n  blocked: [U0BOB\n"))[0]).toMatch(/line \d+, column \d+/);
    expect(problems(parsePolicyText("users: {}\nusers: {}\n"))[0]).toMatch(/Map keys must be unique/);
    expect(problems(parsePolicyText("- U0BOB\n"))).toEqual(["the file must be a mapping of settings"]);
  });
});
