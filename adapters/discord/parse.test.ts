import { describe, expect, it } from "vitest";
import {
  conversationOf,
  type DiscordInteractionView,
  type DiscordMessageView,
  interactionSubject,
  namedRoles,
  parseDiscordMessage,
  threadName,
} from "./parse.ts";

const me = { botUserId: "900000000000000001", ignoreOtherBots: true };

function message(overrides: Partial<DiscordMessageView> = {}): DiscordMessageView {
  return {
    id: "100000000000000001",
    channelId: "200000000000000001",
    guildId: "300000000000000001",
    channelKind: "text",
    parentId: null,
    content: `<@${me.botUserId}> plot the sales`,
    author: { id: "400000000000000001", bot: false },
    authorRoles: [],
    isUserContent: true,
    mentionsBot: true,
    attachments: [],
    ...overrides,
  };
}

describe("parseDiscordMessage", () => {
  it("answers a mention in a channel in a new thread started from the message", () => {
    const parsed = parseDiscordMessage(message(), me);
    expect(parsed).toMatchObject({
      deliveryId: "discord:100000000000000001",
      text: "plot the sales",
      addressed: true,
      placement: { kind: "new-thread", channelId: "200000000000000001", messageId: "100000000000000001" },
    });
    expect(parsed && conversationOf(parsed.placement, "500000000000000001")).toEqual({
      platform: "discord",
      workspace: "300000000000000001",
      channel: "200000000000000001",
      thread: "500000000000000001",
    });
  });

  it("follows a thread: a message there without a mention is not addressed, but is parsed", () => {
    const parsed = parseDiscordMessage(
      message({
        channelKind: "thread",
        parentId: "200000000000000001",
        channelId: "500000000000000001",
        mentionsBot: false,
        content: "and by region?",
      }),
      me,
    );
    expect(parsed).toMatchObject({ addressed: false, text: "and by region?", placement: { kind: "thread" } });
    expect(parsed && conversationOf(parsed.placement)).toEqual({
      platform: "discord",
      workspace: "300000000000000001",
      channel: "200000000000000001",
      thread: "500000000000000001",
    });
  });

  it("treats a DM as one addressed conversation, with its attachments and command words", () => {
    const attachment = {
      id: "1",
      url: "https://cdn.example/a.csv",
      name: "a.csv",
      size: 10,
      contentType: "text/csv",
    };
    const parsed = parseDiscordMessage(
      message({
        channelKind: "dm",
        guildId: null,
        mentionsBot: false,
        content: "reset",
        attachments: [attachment],
      }),
      me,
    );
    expect(parsed).toMatchObject({ addressed: true, command: "reset", attachments: [attachment] });
    expect(parsed && conversationOf(parsed.placement)).toMatchObject({ workspace: "dm", thread: "dm" });
  });

  it.each([
    ["its own messages", message({ author: { id: me.botUserId, bot: true } })],
    ["other bots' messages", message({ author: { id: "7", bot: true } })],
    ["system messages", message({ isUserContent: false })],
    ["channel chatter without a mention", message({ mentionsBot: false })],
    ["voice or forum channels", message({ channelKind: "other" })],
  ])("ignores %s", (_label, view) => {
    expect(parseDiscordMessage(view, me)).toBeNull();
  });

  it("hears other bots when told to", () => {
    expect(
      parseDiscordMessage(message({ author: { id: "7", bot: true } }), { ...me, ignoreOtherBots: false }),
    ).not.toBeNull();
  });
});

describe("threadName", () => {
  it("makes one short line of the question", () => {
    expect(threadName("plot\n\nthe   sales")).toBe("plot the sales");
    expect(threadName("```python\nprint(1)\n```")).toBe("code");
    expect(threadName("")).toBe("Code Interpreter");
    expect(threadName("x".repeat(100))).toHaveLength(80);
  });
});

describe("who is asking, for the access rules", () => {
  it("marks a DM as direct and a server message as a channel, with the author's roles", () => {
    const roles = [{ id: "600000000000000001", name: "Analysts" }];
    expect(parseDiscordMessage(message({ authorRoles: roles }), me)).toMatchObject({
      place: "channel",
      authorRoles: roles,
    });
    expect(
      parseDiscordMessage(message({ channelKind: "dm", guildId: null, mentionsBot: false }), me),
    ).toMatchObject({ place: "direct" });
  });

  it("names a member's roles from the server's, leaving out @everyone and naming unknown ones by nothing", () => {
    const names = new Map([["600000000000000001", "Analysts"]]);
    expect(
      namedRoles(
        ["300000000000000001", "600000000000000001", "600000000000000002"],
        "300000000000000001",
        (id) => names.get(id),
      ),
    ).toEqual([
      { id: "600000000000000001", name: "Analysts" },
      { id: "600000000000000002", name: "" },
    ]);
  });

  const interaction: DiscordInteractionView = {
    userId: "400000000000000001",
    userName: "alice",
    guildId: "300000000000000001",
    channel: { id: "500000000000000001", kind: "thread", parentId: "200000000000000001" },
    roles: [{ id: "600000000000000001", name: "Analysts" }],
  };

  it("counts a command in a thread as its channel's, with the member's roles", () => {
    expect(interactionSubject(interaction)).toEqual({
      conversation: {
        platform: "discord",
        workspace: "300000000000000001",
        channel: "200000000000000001",
        thread: "500000000000000001",
      },
      author: { id: "400000000000000001", name: "alice", roles: interaction.roles },
      place: "channel",
    });
    const inChannel = interactionSubject({
      ...interaction,
      channel: { id: "200000000000000001", kind: "other", parentId: null },
    });
    expect(inChannel.conversation.channel).toBe("200000000000000001");
  });

  it("counts a command in a DM as direct, outside any server", () => {
    const subject = interactionSubject({
      ...interaction,
      guildId: null,
      channel: { id: "700000000000000001", kind: "dm", parentId: null },
      roles: [],
    });
    expect(subject).toMatchObject({
      place: "direct",
      conversation: { workspace: "dm", channel: "700000000000000001" },
    });
  });
});
