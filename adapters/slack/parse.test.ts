import { describe, expect, it } from "vitest";
import {
  cleanSlackText,
  parseSlackEvent,
  parseSlashCommand,
  refusalTarget,
  type SlackIdentity,
} from "./parse.ts";

const me: SlackIdentity = { botUserId: "UBOT", botId: "BBOT", teamId: "T1", ignoreOtherBots: true };

// Shapes as Slack sends them (Events API `event` objects).
const mention = {
  type: "app_mention",
  user: "U1",
  text: "<@UBOT> plot sales &amp; costs",
  ts: "1700000000.000100",
  channel: "C1",
  event_ts: "1700000000.000100",
  team: "T1",
};
const dmWithFile = {
  type: "message",
  subtype: "file_share",
  user: "U1",
  text: "chart this",
  ts: "1700000001.000200",
  channel: "D1",
  channel_type: "im",
  files: [
    {
      id: "F1",
      name: "sales.csv",
      mimetype: "text/csv",
      size: 120,
      url_private_download: "https://files.slack.com/files-pri/T1-F1/download/sales.csv",
    },
  ],
};

describe("parseSlackEvent", () => {
  it("answers a mention in a new thread rooted at the message", () => {
    expect(parseSlackEvent(mention, "T1", me)).toMatchObject({
      deliveryId: "C1:1700000000.000100",
      conversation: { platform: "slack", workspace: "T1", channel: "C1", thread: "1700000000.000100" },
      replyThreadTs: "1700000000.000100",
      messageTs: "1700000000.000100",
      text: "plot sales & costs",
      addressed: true,
    });
  });

  it("keeps a mention inside a thread in that thread", () => {
    const inThread = { ...mention, ts: "1700000005.000100", thread_ts: "1700000000.000100" };
    expect(parseSlackEvent(inThread, "T1", me)).toMatchObject({
      conversation: { thread: "1700000000.000100" },
      replyThreadTs: "1700000000.000100",
    });
  });

  it("treats a direct message's top level as one conversation, files included", () => {
    const parsed = parseSlackEvent(dmWithFile, "T1", me);
    expect(parsed).toMatchObject({
      conversation: { channel: "D1", thread: "dm" },
      replyThreadTs: null,
      addressed: true,
    });
    expect(parsed?.files).toEqual([
      {
        id: "F1",
        name: "sales.csv",
        mimeType: "text/csv",
        size: 120,
        url: dmWithFile.files[0]?.url_private_download,
      },
    ]);
  });

  it("passes an unaddressed thread reply to the core, and ignores top-level chatter", () => {
    const reply = {
      type: "message",
      user: "U2",
      text: "and now?",
      ts: "2.0",
      thread_ts: "1.0",
      channel: "C1",
      channel_type: "channel",
    };
    expect(parseSlackEvent(reply, "T1", me)).toMatchObject({
      addressed: false,
      conversation: { thread: "1.0" },
    });
    const chatter = {
      type: "message",
      user: "U2",
      text: "lunch?",
      ts: "3.0",
      channel: "C1",
      channel_type: "channel",
    };
    expect(parseSlackEvent(chatter, "T1", me)).toBeNull();
  });

  it("leaves a channel message that mentions the bot to its app_mention event", () => {
    const duplicate = { ...mention, type: "message", channel_type: "channel" };
    expect(parseSlackEvent(duplicate, "T1", me)).toBeNull();
  });

  it.each([
    ["its own messages", { ...mention, user: "UBOT" }],
    ["other bots", { ...mention, bot_id: "B2" }],
    ["edits", { ...dmWithFile, subtype: "message_changed" }],
    ["deletions", { ...dmWithFile, subtype: "message_deleted" }],
    ["joins", { ...dmWithFile, subtype: "channel_join" }],
    ["a payload without a user", { type: "message", text: "x", ts: "1", channel: "C1" }],
    ["garbage", "not an object"],
    ["null", null],
    ["another event type", { type: "reaction_added", user: "U1" }],
  ])("ignores %s", (_label, event) => {
    expect(parseSlackEvent(event, "T1", me)).toBeNull();
  });

  it("recognises reset, files and help said to the bot", () => {
    expect(parseSlackEvent({ ...mention, text: "<@UBOT> reset" }, "T1", me)?.command).toBe("reset");
    expect(
      parseSlackEvent({ ...mention, text: "<@UBOT> reset the data please" }, "T1", me)?.command,
    ).toBeUndefined();
  });
});

describe("cleanSlackText", () => {
  it("removes the bot mention and unwraps links and entities", () => {
    expect(
      cleanSlackText("<@UBOT> read <https://example.com/a.csv|a.csv> and <https://x.org> 1 &lt; 2", "UBOT"),
    ).toBe("read a.csv (https://example.com/a.csv) and https://x.org 1 < 2");
  });
});

describe("slash commands", () => {
  const base = { channel_id: "C1", user_id: "U1", team_id: "T1", command: "/python", trigger_id: "t1" };
  it.each([
    ["", "help"],
    ["help", "help"],
    ["reset", "reset"],
    ["FILES", "files"],
  ])("%j is the %s command", (text, command) => {
    expect(parseSlashCommand({ ...base, text })?.command).toBe(command);
  });

  it("runs Python as code and sends questions to the model", () => {
    expect(parseSlashCommand({ ...base, text: "print(2 ** 10)" })).toMatchObject({ isCode: true });
    expect(parseSlashCommand({ ...base, text: "plot a sine wave" })).toMatchObject({ isCode: false });
  });
});

describe("who is asking, for the access rules", () => {
  it("marks a DM as direct and a channel message as a channel", () => {
    expect(parseSlackEvent(dmWithFile, "T1", me)?.place).toBe("direct");
    expect(parseSlackEvent(mention, "T1", me)?.place).toBe("channel");
    expect(parseSlashCommand({ channel_id: "D1", user_id: "U1", team_id: "T1", text: "1" })?.place).toBe(
      "direct",
    );
    expect(parseSlashCommand({ channel_id: "C1", user_id: "U1", team_id: "T1", text: "1" })?.place).toBe(
      "channel",
    );
  });

  it("sends a refusal to the author beside the message, in its thread only when it was in one", () => {
    const topLevel = parseSlackEvent(mention, "T1", me);
    expect(topLevel && refusalTarget(topLevel)).toEqual({ channel: "C1", user: "U1" });
    const inThread = parseSlackEvent(
      { ...mention, ts: "1700000002.000100", thread_ts: "1700000000.000100" },
      "T1",
      me,
    );
    expect(inThread && refusalTarget(inThread)).toEqual({
      channel: "C1",
      user: "U1",
      thread_ts: "1700000000.000100",
    });
    const dm = parseSlackEvent(dmWithFile, "T1", me);
    expect(dm && refusalTarget(dm)).toEqual({ channel: "D1", user: "U1" });
  });
});
