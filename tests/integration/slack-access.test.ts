/**
 * Access rules on Slack: the real Bolt against the fake Slack, on the scripted sandbox. Someone
 * refused hears it privately (an ephemeral message or slash-command response) and nothing else
 * happens: no reaction, no thread, no sandbox, no model call.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DM_REFUSAL } from "../../src/access/access-policy.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

const REFUSAL = "I'm not enabled for you here. Ask #it-help for access.";
const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
let h: SlackHarness;

beforeAll(async () => {
  h = await createSlackHarness({
    sandbox,
    env: {
      ACCESS_BLOCKED_USERS: "slack:U0BOB",
      ACCESS_ADMINS: "U0ADMIN",
      ACCESS_ALLOW_DMS: "false",
      ACCESS_CONTACT: "#it-help",
    },
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** A message from `user`, as Slack delivers it; `mention` makes it an app_mention. */
async function message(
  user: string,
  fields: { text: string; channel?: string; thread_ts?: string; mention?: boolean; im?: boolean },
): Promise<string> {
  const ts = h.slack.nextTs();
  const channel = fields.channel ?? "C0GENERAL";
  const { acked } = await h.slack.sendEvent({
    type: fields.mention ? "app_mention" : "message",
    text: fields.mention ? `<@${h.slack.botUserId}> ${fields.text}` : fields.text,
    user,
    channel,
    ts,
    event_ts: ts,
    ...(fields.im ? { channel_type: "im" } : fields.mention ? {} : { channel_type: "channel" }),
    ...(fields.thread_ts ? { thread_ts: fields.thread_ts } : {}),
  });
  expect(acked).toBe(true);
  return ts;
}

const ephemeralsTo = (user: string) => h.slack.ephemerals.filter((e) => e.user === user);

describe("Slack access rules", () => {
  it("answers a blocked user privately, with no reaction, thread, sandbox or model call", async () => {
    const requests = h.bot.fake.requests.length;
    const ts = await message("U0BOB", { text: "plot the sales", mention: true });
    const refusal = await vi.waitFor(() => {
      const found = ephemeralsTo("U0BOB")[0];
      if (!found) throw new Error("no ephemeral yet");
      return found;
    });
    // At the channel's top level: a refusal opens no thread under the message.
    expect(refusal).toMatchObject({
      channel: "C0GENERAL",
      user: "U0BOB",
      text: REFUSAL,
      thread_ts: undefined,
    });
    expect(h.slack.reactions.filter((r) => r.timestamp === ts)).toEqual([]);
    expect(h.slack.messages.filter((m) => m.thread_ts === ts)).toEqual([]);
    expect(sandbox.acquired).toEqual([]);
    expect(h.bot.fake.requests.length).toBe(requests);
  });

  it("answers an allowed user as usual", async () => {
    h.bot.fake.enqueue({ kind: "reply", content: "Sales went up." });
    const sent = await h.driver.startThread("how did sales do?");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    expect(h.driver.view(sent.thread).texts.at(-1)).toBe("Sales went up.");
  });

  it("refuses a blocked user inside a thread in that thread, and stays silent when not spoken to", async () => {
    const chatter = await message("U0ALICE", { text: "a thread about costs" });
    const asked = await message("U0ALICE", { text: "a thread about revenue" });
    // Chatter in a thread, not addressed to the bot: no refusal for that. It goes first, so a
    // refusal for it would be sent before the one awaited below.
    await message("U0BOB", { text: "nice chart", thread_ts: chatter });
    await message("U0BOB", { text: "and for me?", thread_ts: asked, mention: true });
    await vi.waitFor(() => expect(ephemeralsTo("U0BOB").find((e) => e.thread_ts === asked)).toBeDefined());
    expect(ephemeralsTo("U0BOB").find((e) => e.thread_ts === asked)).toMatchObject({
      channel: "C0GENERAL",
      text: REFUSAL,
    });
    expect(ephemeralsTo("U0BOB").filter((e) => e.thread_ts === chatter)).toEqual([]);
  });

  it("refuses a DM when DMs are off, with the DM wording, and lets an admin DM", async () => {
    const ts = await message("U0CAROL", { text: "hello", channel: "D0CAROL", im: true });
    await vi.waitFor(() => expect(ephemeralsTo("U0CAROL")).toHaveLength(1));
    expect(ephemeralsTo("U0CAROL")[0]).toMatchObject({ channel: "D0CAROL", text: DM_REFUSAL });
    expect(h.slack.reactions.filter((r) => r.timestamp === ts)).toEqual([]);

    h.bot.fake.enqueue({ kind: "reply", content: "Hi, admin." });
    const adminTs = await message("U0ADMIN", { text: "hello", channel: "D0ADMIN", im: true });
    await vi.waitFor(() =>
      expect(h.slack.reactions.some((r) => r.timestamp === adminTs && r.name === "white_check_mark")).toBe(
        true,
      ),
    );
    expect(h.slack.messages.filter((m) => m.channel === "D0ADMIN").at(-1)?.text).toBe("Hi, admin.");
  });

  it("answers a blocked user's slash command with an ephemeral response and posts nothing", async () => {
    const posted = h.slack.messages.length;
    const sessions = sandbox.acquired.length;
    const before = h.slack.responseUrlPosts.length;
    await h.slack.sendSlashCommand({
      command: "/python",
      text: "print(2 ** 10)",
      user_id: "U0BOB",
      channel_id: "C0GENERAL",
    });
    const response = await vi.waitFor(() => {
      const found = h.slack.responseUrlPosts[before];
      if (!found) throw new Error("no response yet");
      return found;
    });
    expect(response.body).toEqual({ response_type: "ephemeral", text: REFUSAL });
    expect(h.slack.messages.length).toBe(posted);
    expect(sandbox.acquired.length).toBe(sessions);
  });
});
