/**
 * Payloads nobody should send, on the real SDKs against the fake platforms: Slack events and
 * Discord dispatches with wrong types, missing fields or a megabyte of text, HTTP requests
 * that are unsigned, stale or replayed. None crashes the bot (an uncaught error would fail
 * the run), none reaches the model unless it is a real message, and the next message works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_TEXT } from "../../adapters/discord/format.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { slackSignature } from "../fakes/slack/fake-slack.ts";
import { createDiscordHarness, type DiscordHarness } from "../helpers/discord-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

const MEGABYTE_TEXT = "y".repeat(1024 * 1024);
const sandbox = new FakeSandbox({ limits: TEST_LIMITS });

describe("Slack, Socket Mode", () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await createSlackHarness({ sandbox });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("acknowledges and ignores malformed events, answers a 1 MB one clearly, and goes on", async () => {
    const bot = `<@${h.slack.botUserId}>`;
    const malformed: object[] = [
      { type: "app_mention" },
      { type: "app_mention", text: 42, user: ["U0ALICE"], channel: null, ts: {} },
      { type: "message", channel: "C0GENERAL" },
      { type: "message", text: `${bot} hi`, user: "U0ALICE", channel: "C0GENERAL", ts: 17 },
      { type: "app_mention", text: `${bot} hi`, user: "U0ALICE", ts: "1800000900.000100" },
      { type: "not_an_event", text: { nested: true } },
    ];
    const acked: boolean[] = [];
    for (const event of malformed) acked.push((await h.slack.sendEvent(event)).acked);
    // Bolt's own routing throws on a channel of `null` before it acknowledges, so Slack would
    // redeliver that envelope (three times at most) and drop it: the bot itself runs on.
    expect(acked).toEqual([true, false, true, true, true, true]);
    const huge = await h.driver.startThread(MEGABYTE_TEXT);
    expect(await h.driver.waitForReply(huge)).toBe("failed");
    expect(h.driver.view(huge.thread).texts).toEqual([
      ":warning: Your message is 1,048,576 characters long, and I read at most 20,000 in one message, so I did not send it to the model. " +
        "Attach long text as a file (for example notes.txt) and ask about it: files land in /mnt/data, where I can read all of it.",
    ]);
    expect(h.bot.fake.requests).toHaveLength(0);
    h.bot.fake.enqueue({ kind: "reply", content: "Still here." });
    const next = await h.driver.startThread("are you ok?");
    expect(await h.driver.waitForReply(next)).toBe("done");
    expect(h.driver.view(next.thread).texts).toEqual(["Still here."]);
    // Only the two real messages became replies: the malformed ones posted nothing.
    expect(new Set(h.slack.messages.map((m) => m.thread_ts))).toEqual(new Set([huge.thread, next.thread]));
  });
});

describe("Slack, HTTP mode", () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await createSlackHarness({ sandbox, mode: "http" });
  });
  afterAll(async () => {
    await h?.close();
  });

  function mention(ts: string, text: string): object {
    return h.slack.eventCallback({
      type: "app_mention",
      text: `<@${h.slack.botUserId}> ${text}`,
      user: "U0ALICE",
      ts,
      event_ts: ts,
      channel: "C0GENERAL",
    });
  }

  async function post(body: string, timestamp: number, signature?: string): Promise<number> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signature ?? slackSignature(h.slack.signingSecret, timestamp, body),
    };
    const response = await fetch(h.eventsUrl ?? "", { method: "POST", headers, body });
    await response.text();
    return response.status;
  }

  it("answers a replayed request once, and refuses forged, unsigned and stale ones", async () => {
    h.bot.fake.enqueue({ kind: "reply", content: "Answered once." });
    const ts = "1900000100.000100";
    const body = JSON.stringify(mention(ts, "hello"));
    const now = Math.floor(Date.now() / 1000);
    const signature = slackSignature(h.slack.signingSecret, now, body);
    // Unsigned first: refused, and it makes the fake Slack know the message the bot reacts to.
    const unsigned = await h.slack.postSignedEvent(h.eventsUrl ?? "", mention(ts, "hello"), {
      noSignature: true,
    });
    expect(unsigned.status).toBe(401);
    // The same bytes with the same valid signature, three times: Bolt accepts each (the
    // signature is valid for five minutes), and the bot answers the event once.
    expect(await post(body, now, signature)).toBe(200);
    await h.driver.waitForReply({ thread: ts, messageId: ts });
    expect(await post(body, now, signature)).toBe(200);
    expect(await post(body, now, signature)).toBe(200);
    // A replay after the five minutes, and a signature made for other bytes.
    const staleTs = "1900000101.000100";
    const staleBody = JSON.stringify(mention(staleTs, "old"));
    expect(await post(staleBody, now - 6 * 60)).toBe(401);
    expect(await post(staleBody, now, signature)).toBe(401);
    // A signed body that is not JSON at all.
    expect(await post("{not json", now)).toBeGreaterThanOrEqual(400);
    h.bot.fake.enqueue({ kind: "reply", content: "Next one works." });
    const nextTs = "1900000102.000100";
    expect((await h.slack.postSignedEvent(h.eventsUrl ?? "", mention(nextTs, "next"))).status).toBe(200);
    await h.driver.waitForReply({ thread: nextTs, messageId: nextTs });
    expect(h.driver.view(ts).texts).toEqual(["Answered once."]);
    expect(h.driver.view(staleTs).texts).toEqual([]);
    expect(h.driver.view(nextTs).texts).toEqual(["Next one works."]);
    expect(h.bot.fake.requests).toHaveLength(2);
  });
});

describe("Discord", () => {
  let h: DiscordHarness;
  beforeAll(async () => {
    h = await createDiscordHarness({ sandbox });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("survives malformed dispatches, answers a 1 MB message clearly, and goes on", async () => {
    const channel = h.discord.channel.id;
    const guild = h.discord.guild.id;
    h.discord.dispatch("MESSAGE_CREATE", {});
    h.discord.dispatch("MESSAGE_CREATE", { id: "1", channel_id: channel, guild_id: guild, content: 42 });
    h.discord.dispatch("MESSAGE_CREATE", { id: "2", channel_id: "999", content: "hi", author: null });
    h.discord.dispatch("MESSAGE_UPDATE", { id: "3", channel_id: channel, guild_id: guild, embeds: "no" });
    h.discord.dispatch("INTERACTION_CREATE", { id: "4", type: 2, data: null, token: 7 });
    h.discord.dispatch("THREAD_CREATE", { id: null, guild_id: guild });
    h.discord.dispatch("NOT_A_DISPATCH", [1, 2, 3]);
    const huge = await h.driver.startThread(MEGABYTE_TEXT);
    expect(await h.driver.waitForReply(huge)).toBe("failed");
    expect(h.driver.view(huge.thread).texts).toEqual([
      `⚠️ ${DISCORD_TEXT.literal(
        "Your message is 1,048,576 characters long, and I read at most 20,000 in one message, so I did not send it to the model. " +
          "Attach long text as a file (for example notes.txt) and ask about it: files land in /mnt/data, where I can read all of it.",
      )}`,
    ]);
    h.bot.fake.enqueue({ kind: "reply", content: "Still here." });
    const next = await h.driver.startThread("are you ok?");
    expect(await h.driver.waitForReply(next)).toBe("done");
    expect(h.driver.view(next.thread).texts).toEqual(["Still here."]);
    expect(h.bot.fake.requests).toHaveLength(1);
  });
});
