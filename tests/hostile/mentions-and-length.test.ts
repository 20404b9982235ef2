/**
 * What a hostile prompt makes the bot say, on the real SDKs against the fake platforms: model
 * text and a script's output that try to ping a channel, a user group, a role or a person
 * arrive as text that pings nobody; a 40,000-character message is answered with what to do
 * instead, without reaching the model; and the next message works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_TEXT } from "../../adapters/discord/format.ts";
import { MAX_MESSAGE_CHARS } from "../../src/bot/message-size.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { pythonCall } from "../helpers/bot-harness.ts";
import { createDiscordHarness, type DiscordHarness } from "../helpers/discord-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

const SLACK_PINGS = "Alert <!channel> <!here> <!everyone> <@U0BOSS> <!subteam^S0TEAM|@team> @channel";
const DISCORD_PINGS =
  "Alert @everyone @here <@123456789012345678> <@!123456789012345678> <@&987654321098765432>";
const LONG = "x".repeat(40_000);
const TOO_LONG =
  "Your message is 40,000 characters long, and I read at most 20,000 in one message, so I did not send it to the model. " +
  "Attach long text as a file (for example notes.txt) and ask about it: files land in /mnt/data, where I can read all of it.";

const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
sandbox.script("print(PINGS)", ({ key }) => ({
  stdout: `${key.startsWith("slack") ? SLACK_PINGS : DISCORD_PINGS}\n`,
}));
sandbox.script("print(2)", () => ({ stdout: "2\n" }));

describe("on Slack", () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await createSlackHarness({ sandbox });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("shows mention syntax from the model and from Python as text", async () => {
    h.bot.fake.enqueue(
      { kind: "reply", content: SLACK_PINGS, toolCalls: [pythonCall("print(PINGS)")] },
      { kind: "reply", content: `Done. ${SLACK_PINGS}` },
    );
    const sent = await h.driver.startThread("ping everyone");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    const texts = h.driver.view(sent.thread).texts.join("\n");
    expect(texts).toContain("Alert &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U0BOSS&gt;");
    expect(texts).toContain("&lt;!subteam^S0TEAM|@team&gt;");
    expect(texts).not.toMatch(/<[!@]/);
    // Plain "@channel" pings only if the bot asks Slack to link names; it never does.
    const posts = h.slack.calls.filter((c) => c.method === "chat.postMessage" || c.method === "chat.update");
    expect(posts.length).toBeGreaterThan(0);
    for (const post of posts) {
      expect(post.args.link_names).toBeUndefined();
      expect(post.args.parse).toBeUndefined();
    }
  });

  it("answers a 40,000-character message with what to do, without asking the model", async () => {
    const requests = h.bot.fake.requests.length;
    const sent = await h.driver.startThread(LONG);
    expect(await h.driver.waitForReply(sent)).toBe("failed");
    expect(h.driver.view(sent.thread).texts).toEqual([`:warning: ${TOO_LONG}`]);
    expect(h.bot.fake.requests.length).toBe(requests);
    h.bot.fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall("print(2)")] },
      { kind: "reply", content: "It is 2." },
    );
    // Nothing of the refused message was kept, so the bot does not follow that thread: the
    // next message mentions it, as the first one of a thread does.
    const next = await h.driver.startThread("short one: what is 1 + 1?");
    expect(await h.driver.waitForReply(next)).toBe("done");
    expect(h.driver.view(next.thread).texts.at(-1)).toBe("It is 2.");
  });
});

describe("on Discord", () => {
  let h: DiscordHarness;
  beforeAll(async () => {
    h = await createDiscordHarness({ sandbox });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("sends no pings and no text that looks like one", async () => {
    h.bot.fake.enqueue(
      { kind: "reply", content: DISCORD_PINGS, toolCalls: [pythonCall("print(PINGS)")] },
      { kind: "reply", content: `Done. ${DISCORD_PINGS}` },
    );
    const sent = await h.driver.startThread("ping everyone");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    const messages = h.discord.messagesIn(sent.thread);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) expect(message.allowed_mentions).toEqual({ parse: [] });
    const prose = h.driver.view(sent.thread).texts.filter((t) => !t.includes("```"));
    expect(prose).toContain(
      "Alert @\u200beveryone @\u200bhere <\u200b@123456789012345678> <\u200b@!123456789012345678> <\u200b@&987654321098765432>",
    );
    for (const text of prose) expect(text).not.toMatch(/@(everyone|here)|<@/);
    // The script's output is shown byte-exact in a code block, where Discord draws no mentions.
    expect(h.driver.view(sent.thread).texts.join("\n")).toContain(`\`\`\`\n${DISCORD_PINGS}\n\`\`\``);
  });

  it("answers a 40,000-character message with what to do, without asking the model", async () => {
    const requests = h.bot.fake.requests.length;
    expect(LONG.length).toBeGreaterThan(MAX_MESSAGE_CHARS);
    const sent = await h.driver.startThread(LONG);
    expect(await h.driver.waitForReply(sent)).toBe("failed");
    expect(h.driver.view(sent.thread).texts).toEqual([`⚠️ ${DISCORD_TEXT.literal(TOO_LONG)}`]);
    expect(h.bot.fake.requests.length).toBe(requests);
    h.bot.fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall("print(2)")] },
      { kind: "reply", content: "It is 2." },
    );
    const next = await h.driver.startThread("short one: what is 1 + 1?");
    expect(await h.driver.waitForReply(next)).toBe("done");
    expect(h.driver.view(next.thread).texts.at(-1)).toBe("It is 2.");
  });
});
