import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAccessGate, type PolicyAccessGate, type PolicyChange } from "../../src/access/access-gate.ts";
import type { AccessSubject } from "../../src/access/access-policy.ts";
import { loadConfig } from "../../src/config.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";

function nextChange(gate: PolicyAccessGate): Promise<PolicyChange> {
  return new Promise((resolve) => {
    const stop = gate.onChange((change) => {
      stop();
      resolve(change);
    });
  });
}

/** Writes the new file beside the old one and renames it over, as editors do. */
async function replace(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

function slackUser(id: string): AccessSubject {
  return {
    conversation: { platform: "slack", workspace: "T0TEAM", channel: "C0GENERAL", thread: "1.0" },
    author: { id },
    place: "channel",
  };
}

const allowed = (gate: PolicyAccessGate, user: string) => gate.decide(slackUser(user)).allowed;

let gate: PolicyAccessGate | undefined;
afterEach(() => gate?.close());

async function start(text: string, env: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), "cib-access-"));
  const file = path.join(dir, "access.yaml");
  await writeFile(file, text);
  const config = loadConfig({ ACCESS_POLICY_FILE: file, ...env });
  const log = collectingLogger();
  gate = createAccessGate(config.access, { logger: log.logger, pollIntervalMs: 20 });
  return { file, gate, lines: log.lines };
}

describe("the access gate's policy file", () => {
  it("combines the file with the environment and logs the rules it starts with", async () => {
    const { gate, lines, file } = await start("users: { blocked: [U0BOB] }\n", {
      ACCESS_BLOCKED_USERS: "U0EVE",
    });
    expect(allowed(gate, "U0BOB")).toBe(false);
    expect(allowed(gate, "U0EVE")).toBe(false);
    expect(allowed(gate, "U0ALICE")).toBe(true);
    expect(lines.find((line) => line.msg === "access rules")).toMatchObject({ file, blockedUsers: 2 });
  });

  it("is read again when it changes, and a broken edit keeps the last good rules, logged", async () => {
    const { gate, file, lines } = await start("users: { blocked: [U0BOB] }\n");
    expect(allowed(gate, "U0BOB")).toBe(false);

    let change = nextChange(gate);
    await replace(file, "users: { blocked: [U0EVE, U0MALLORY] }\n");
    expect(await change).toMatchObject({ kind: "reloaded" });
    expect(allowed(gate, "U0BOB")).toBe(true);
    expect(allowed(gate, "U0EVE")).toBe(false);
    expect(lines.find((line) => line.msg === "access policy file reloaded")).toMatchObject({
      level: 30,
      file,
      blockedUsers: 2,
    });

    change = nextChange(gate);
    await replace(file, 'users: { blokced: [U0EVE] }\nadmins: ["@bob"]\n');
    expect(await change).toMatchObject({ kind: "rejected" });
    expect(allowed(gate, "U0EVE")).toBe(false);
    const rejected = lines.find((line) => String(line.msg).startsWith("access policy file rejected"));
    expect(rejected).toMatchObject({ level: 50, file });
    expect(rejected?.problems).toEqual([
      expect.stringContaining('unknown setting "users.blokced"'),
      expect.stringContaining('"@bob" is not a user id'),
    ]);

    // Written in place this time, as `echo >` would.
    change = nextChange(gate);
    await writeFile(file, "users: { blocked: [U0BOB] }\n");
    expect(await change).toMatchObject({ kind: "reloaded" });
    expect(allowed(gate, "U0BOB")).toBe(false);
    expect(allowed(gate, "U0EVE")).toBe(true);
  });

  it("keeps the rules when the file disappears, and takes it back when it returns", async () => {
    const { gate, file } = await start("users: { blocked: [U0BOB] }\n");
    let change = nextChange(gate);
    await rm(file);
    expect(await change).toEqual({ kind: "rejected", problems: ["the file does not exist"] });
    expect(allowed(gate, "U0BOB")).toBe(false);
    change = nextChange(gate);
    await replace(file, "users: { blocked: [U0EVE] }\n");
    expect(await change).toMatchObject({ kind: "reloaded" });
    expect(allowed(gate, "U0BOB")).toBe(true);
  });

  it("reports a broken file once, not at every look", async () => {
    const { gate, file } = await start("users: { blocked: [U0BOB] }\n");
    const seen: PolicyChange[] = [];
    gate.onChange((change) => seen.push(change));
    let change = nextChange(gate);
    await replace(file, "users: [\n");
    await change;
    // The next change is the fix: the broken version in between was not reported again.
    change = nextChange(gate);
    await replace(file, "{}\n");
    await change;
    expect(seen.map((c) => c.kind)).toEqual(["rejected", "reloaded"]);
  });
});
