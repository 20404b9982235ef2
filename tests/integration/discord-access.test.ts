/**
 * Access rules on Discord: the real discord.js against the fake Discord, on the scripted
 * sandbox, with the rules in a policy file. Roles come from the members Discord sends with
 * each message and command, named from the server's roles. Someone refused gets one reply that
 * pings nobody (a message) or an ephemeral answer (a command), and nothing else happens.
 */
import { mkdtemp, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PolicyChange } from "../../src/access/access-gate.ts";
import type { FakeMessage, FakeUser, WireMessage } from "../fakes/discord/fake-discord.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { createDiscordHarness, type DiscordHarness } from "../helpers/discord-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";

const REFUSAL = "I'm not enabled for you here. If you need me, ask whoever runs this workspace's bots.";
const ROLES = "roles:\n  allowed: [Analysts]\n  blocked: [interns]\n";
const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
let h: DiscordHarness;
let policyFile: string;
let carol: FakeUser;
let ivan: FakeUser;
let uma: FakeUser;

beforeAll(async () => {
  policyFile = path.join(await mkdtemp(path.join(tmpdir(), "cib-discord-access-")), "access.yaml");
  await writeFile(policyFile, ROLES);
  h = await createDiscordHarness({ sandbox, env: { ACCESS_POLICY_FILE: policyFile } });
  // Made after the bot connected: it learns of them through GUILD_ROLE_CREATE.
  const analysts = h.discord.addRole("Analysts");
  const interns = h.discord.addRole("Interns");
  carol = h.discord.addUser({ username: "carol" });
  h.discord.giveRole(carol, analysts);
  ivan = h.discord.addUser({ username: "ivan" });
  h.discord.giveRole(ivan, analysts);
  h.discord.giveRole(ivan, interns);
  uma = h.discord.addUser({ username: "uma" });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

function mention(author: FakeUser, text: string): WireMessage {
  return h.discord.userMessage({ author, content: text, mentionsBot: true });
}

/** The bot's reply to `sent`, once it is there. */
function replyTo(sent: WireMessage): Promise<FakeMessage> {
  return h.discord.waitFor(
    () =>
      h.discord.messages.find(
        (m) => (m.message_reference as { message_id?: string } | undefined)?.message_id === sent.id,
      ),
    { description: `a reply to ${sent.id}` },
  );
}

/** Asserts what a refused message must not have caused. */
function expectUntouched(sent: WireMessage, sessions: number, requests: number): void {
  expect(h.discord.threads.filter((t) => t.message_id === sent.id)).toEqual([]);
  expect(h.discord.reactions.filter((r) => r.message_id === sent.id)).toEqual([]);
  expect(sandbox.acquired.length).toBe(sessions);
  expect(h.bot.fake.requests.length).toBe(requests);
}

describe("Discord access rules", () => {
  it("refuses a member with a blocked role by a reply that pings nobody, with no thread or sandbox", async () => {
    const sessions = sandbox.acquired.length;
    const requests = h.bot.fake.requests.length;
    const sent = mention(ivan, "plot the sales");
    const reply = await replyTo(sent);
    expect(reply).toMatchObject({ channel_id: h.discord.channel.id, content: REFUSAL });
    expect(reply.allowed_mentions).toMatchObject({ parse: [], replied_user: false });
    expectUntouched(sent, sessions, requests);
  });

  it("serves a member with an allowed role, in a thread of its own", async () => {
    h.bot.fake.enqueue({ kind: "reply", content: "Sales went up." });
    const sent = mention(carol, "how did sales do?");
    await h.discord.waitFor(
      () => h.discord.reactions.some((r) => r.message_id === sent.id && r.emoji === "✅" && !r.removed),
      { description: "the answer to carol" },
    );
    expect(h.discord.messagesIn(sent.id).map((m) => m.content)).toContain("Sales went up.");
  });

  it("refuses a member with none of the allowed roles", async () => {
    const sessions = sandbox.acquired.length;
    const requests = h.bot.fake.requests.length;
    const sent = mention(uma, "hello?");
    expect((await replyTo(sent)).content).toBe(REFUSAL);
    expectUntouched(sent, sessions, requests);
  });

  it("answers a refused member's slash command ephemerally, and starts nothing", async () => {
    const sessions = sandbox.acquired.length;
    const interaction = h.discord.command({ name: "python", options: { code: "print(1)" }, user: uma });
    const response = await h.discord.waitFor(
      () => h.discord.interactionResponses.find((r) => r.interaction_id === interaction.id),
      { description: "the answer to the command" },
    );
    expect(response.type).toBe(4);
    expect(response.data).toMatchObject({ content: REFUSAL, flags: 64 });
    expect(sandbox.acquired.length).toBe(sessions);
  });

  it("serves an allowed member's slash command, whose member carries the roles", async () => {
    h.bot.fake.enqueue({ kind: "reply", content: "Nothing new." });
    const interaction = h.discord.command({
      name: "ask",
      options: { question: "anything new?" },
      user: carol,
    });
    const response = await h.discord.waitFor(
      () => h.discord.interactionResponses.find((r) => r.interaction_id === interaction.id),
      { description: "the answer to the command" },
    );
    expect(response.type).toBe(5);
    await h.discord.waitFor(() => h.discord.messages.find((m) => m.content === "Nothing new."), {
      description: "the model's answer",
    });
  });

  it("refuses everyone in a blocked server once the edited policy file is read again", async () => {
    const reloaded = new Promise<PolicyChange>((resolve) => {
      const stop = h.bot.access.onChange((change) => {
        stop();
        resolve(change);
      });
    });
    await writeFile(
      `${policyFile}.tmp`,
      `${ROLES}workspaces:\n  blocked: ["discord:${h.discord.guild.id}"]\n`,
    );
    await rename(`${policyFile}.tmp`, policyFile);
    expect(await reloaded).toMatchObject({ kind: "reloaded" });
    const sessions = sandbox.acquired.length;
    const requests = h.bot.fake.requests.length;
    const sent = mention(carol, "still there?");
    expect((await replyTo(sent)).content).toBe(REFUSAL);
    expectUntouched(sent, sessions, requests);
  });
});
