/**
 * Drives the real discord.js `Client` against the fake over HTTP and WebSocket: login, users'
 * messages with attachments, the bot's messages, files, threads, reactions, typing, edits and
 * DMs, checked against what discord.js itself makes of the fake's answers. Interactions,
 * gateway resilience and REST limits have their own files.
 */
import {
  AttachmentBuilder,
  ChannelType,
  type Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
} from "discord.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeDiscord } from "./fake-discord.ts";
import { botClient, nextEvent, nextEvents, readyClient } from "./test-client.ts";

let fake: FakeDiscord;
const clients: Client[] = [];

beforeEach(async () => {
  fake = await FakeDiscord.start();
});

afterEach(async () => {
  // Clients first: a client whose gateway vanished would try to reconnect.
  for (const client of clients.splice(0)) await client.destroy();
  await fake.close();
});

async function login(options: Parameters<typeof readyClient>[1] = {}): Promise<Client<true>> {
  const client = await readyClient(fake, options);
  clients.push(client);
  return client;
}

async function textChannel(client: Client<true>) {
  const channel = client.channels.cache.get(fake.channel.id);
  if (!channel?.isSendable() || channel.type !== ChannelType.GuildText) throw new Error("no text channel");
  return channel;
}

const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000002000000030806000000b5b5d5b00000000049454e44ae426082",
  "hex",
);

describe("login", () => {
  it("reaches clientReady with the bot user, the application, the guild and its channel", async () => {
    const client = await login();
    expect(client.user.id).toBe(fake.botUser.id);
    expect(client.user.bot).toBe(true);
    expect(client.application.id).toBe(fake.application.id);
    const guild = client.guilds.cache.get(fake.guild.id);
    expect(guild?.name).toBe("Fake Guild");
    expect(guild?.members.me?.id).toBe(fake.botUser.id);
    const channel = await textChannel(client);
    expect(channel.name).toBe("general");
    expect(channel.guildId).toBe(fake.guild.id);

    const intents = GatewayIntentBits;
    expect(fake.identifies).toMatchObject([
      {
        token: fake.token,
        intents: intents.Guilds | intents.GuildMessages | intents.MessageContent | intents.DirectMessages,
        compress: false,
        shard: [0, 1],
        refused_with: undefined,
      },
    ]);
    // discord.js learns the gateway from /gateway/bot and connects without transport compression.
    expect(fake.calls[0]).toMatchObject({ method: "GET", path: "/gateway/bot", status: 200 });
    expect(fake.calls[0]?.authorization).toBe(`Bot ${fake.token}`);
    expect(fake.connections[0]).toMatchObject({ path: "/gateway", query: { v: "10", encoding: "json" } });
    const application = await client.application.fetch();
    expect(application.name).toBe("fakebot");
  });

  it("rejects a wrong token at GET /gateway/bot, as discord.js reports it", async () => {
    const client = botClient(fake);
    await expect(client.login("not-the-token")).rejects.toMatchObject({ code: "TokenInvalid" });
    expect(fake.calls.map((c) => [c.path, c.status])).toEqual([["/gateway/bot", 401]]);
    expect(fake.identifies).toEqual([]);
  });
});

describe("users' messages", () => {
  it("delivers a MESSAGE_CREATE whose attachment URL downloads the exact bytes from the CDN", async () => {
    const client = await login();
    const attachment = fake.cdn.add("data.csv", Buffer.from("x,y\n1,2\n"), "text/csv");
    const received = nextEvent(client, Events.MessageCreate);
    const sent = fake.userMessage({ content: "plot this", attachments: [attachment], mentionsBot: true });
    const [message] = await received;

    expect(message.id).toBe(sent.id);
    expect(message.content).toBe(`<@${fake.botUser.id}> plot this`);
    expect(message.author.id).toBe(fake.user.id);
    expect(message.author.bot).toBe(false);
    expect(message.mentions.users.has(fake.botUser.id)).toBe(true);
    expect(message.member?.id).toBe(fake.user.id);
    expect(message.guildId).toBe(fake.guild.id);
    const file = message.attachments.first();
    expect(file).toMatchObject({ name: "data.csv", size: 8, contentType: "text/csv" });
    expect(file?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cdn\/attachments\/\d+\/\d+\/data\.csv\?ex=/);
    const download = await fetch(file?.url ?? "");
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from("x,y\n1,2\n"));
    expect(fake.downloads).toMatchObject([{ attachment_id: attachment.id, status: 200 }]);
  });

  it("tells bots apart, and gives image attachments their PNG dimensions", async () => {
    const client = await login();
    const otherBot = fake.addUser({ username: "otherbot", bot: true });
    const image = fake.cdn.add("plot.png", PNG);
    const received = nextEvent(client, Events.MessageCreate);
    fake.userMessage({ author: otherBot, content: "beep", attachments: [image] });
    const [message] = await received;
    expect(message.author.bot).toBe(true);
    expect(message.attachments.first()).toMatchObject({ width: 2, height: 3, contentType: "image/png" });
  });

  it("gives members roles: made before login in GUILD_CREATE, after it by GUILD_ROLE_CREATE, listed by id", async () => {
    const early = fake.addRole("Analysts");
    const client = await login();
    const created = nextEvent(client, Events.GuildRoleCreate);
    const late = fake.addRole("Interns");
    await created;
    const member = fake.addUser({ username: "carol" });
    fake.giveRole(member, early);
    fake.giveRole(member, late);
    const received = nextEvent(client, Events.MessageCreate);
    const wire = fake.userMessage({ author: member, content: "hi" });
    const [message] = await received;
    // Discord lists a member's role ids only; @everyone is implied.
    expect(wire.member?.roles).toEqual([early.id, late.id]);
    expect(message.member?.roles.cache.map((role) => role.name).sort()).toEqual([
      "@everyone",
      "Analysts",
      "Interns",
    ]);
    expect(fake.userMessage({ content: "no roles" }).member?.roles).toEqual([]);
  });

  it("blanks others' guild messages for a client without MESSAGE_CONTENT, unless they mention it", async () => {
    const client = await login({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages] });
    const received = nextEvents(client, Events.MessageCreate, 2);
    fake.userMessage({ content: "secret", attachments: [fake.cdn.add("a.txt", Buffer.from("a"))] });
    fake.userMessage({ content: "hey", mentionsBot: true });
    const texts = await received;
    expect(texts.map(([m]) => [m.content, m.attachments.size])).toEqual([
      ["", 0],
      [`<@${fake.botUser.id}> hey`, 0],
    ]);
  });
});

describe("the bot's messages", () => {
  it("records text and a file's exact bytes from channel.send", async () => {
    const client = await login();
    const channel = await textChannel(client);
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10, 0x0d, 0x0a]);
    const sent = await channel.send({
      content: "Here is your plot",
      files: [new AttachmentBuilder(bytes, { name: "plot.png", description: "y = x²" })],
    });

    expect(fake.messages).toHaveLength(1);
    const [recorded] = fake.messages;
    expect(recorded).toMatchObject({
      id: sent.id,
      channel_id: fake.channel.id,
      via: "channel",
      content: "Here is your plot",
    });
    expect(recorded?.attachments).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        name: "plot.png",
        data: bytes,
        content_type: "image/png",
        description: "y = x²",
        url: expect.stringContaining("/cdn/attachments/"),
      },
    ]);
    // discord.js sends multipart/form-data: payload_json plus files[0].
    const call = fake.calls.find((c) => c.route === "POST /channels/{channel_id}/messages");
    expect(call?.files).toEqual([{ field: "files[0]", name: "plot.png", size: bytes.length }]);
    expect(sent.author.id).toBe(fake.botUser.id);
    const served = await fetch(sent.attachments.first()?.url ?? "");
    expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);
    expect(fake.messagesIn(fake.channel)).toEqual(fake.messages);
  });

  it("records allowedMentions as sent, and pings nobody with parse: []", async () => {
    const client = await login();
    const channel = await textChannel(client);
    const sent = await channel.send({
      content: `<@${fake.user.id}> said @everyone`,
      allowedMentions: { parse: [] },
    });
    expect(fake.messages[0]?.allowed_mentions).toEqual({ parse: [] });
    expect(sent.mentions.users.size).toBe(0);
    expect(sent.mentions.everyone).toBe(false);
    const pinging = await channel.send(`<@${fake.user.id}> hi`);
    expect(fake.messages[1]?.allowed_mentions).toBeUndefined();
    expect([...pinging.mentions.users.keys()]).toEqual([fake.user.id]);
  });

  it("keeps every version of an edited message and replies with a message_reference", async () => {
    const client = await login();
    const channel = await textChannel(client);
    const received = nextEvent(client, Events.MessageCreate, (m) => !m.author.bot);
    fake.userMessage({ content: "2**10?" });
    const [question] = await received;
    const reply = await question.reply("Working…");
    await reply.edit("1024");
    expect(fake.messages[0]?.versions.map((v) => v.content)).toEqual(["Working…", "1024"]);
    expect(fake.messages[0]?.message_reference).toMatchObject({ message_id: question.id });
    expect(reply.reference?.messageId).toBe(question.id);
    await reply.delete();
    expect(fake.messages[0]?.deleted).toBe(true);
    const history = await channel.messages.fetch({ limit: 10 });
    expect([...history.keys()]).toEqual([question.id]);
  });

  it("refuses what Discord refuses: over 2000 characters, an empty message", async () => {
    const client = await login();
    const channel = await textChannel(client);
    const tooLong = channel.send("x".repeat(2_001));
    await expect(tooLong).rejects.toBeInstanceOf(DiscordAPIError);
    await expect(tooLong).rejects.toMatchObject({
      code: 50035,
      status: 400,
      message: expect.stringContaining("content[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length."),
    });
    await expect(channel.send({ content: " " })).rejects.toMatchObject({ code: 50006 });
    await channel.send("y".repeat(2_000));
    expect(fake.messages.map((m) => m.content.length)).toEqual([2_000]);
  });

  it("starts a thread from a user's message and posts in it", async () => {
    const client = await login();
    const received = nextEvent(client, Events.MessageCreate, (m) => !m.author.bot);
    fake.userMessage({ content: "question", mentionsBot: true });
    const [question] = await received;
    const threadCreated = nextEvent(client, Events.ThreadCreate);
    const thread = await question.startThread({ name: "Answer" });
    expect(thread.id).toBe(question.id);
    expect(thread.parentId).toBe(fake.channel.id);
    expect(thread.type).toBe(ChannelType.PublicThread);
    // discord.js emits threadCreate from the REST answer; the gateway's THREAD_CREATE, which
    // says `newly_created`, then finds the thread cached.
    expect((await threadCreated)[0].id).toBe(thread.id);
    const dispatch = fake.frames.find((f) => f.payload.t === "THREAD_CREATE")?.payload.d;
    expect(dispatch).toMatchObject({ id: thread.id, newly_created: true, parent_id: fake.channel.id });
    await thread.send("In the thread");
    expect(fake.threads).toEqual([
      {
        id: question.id,
        parent_id: fake.channel.id,
        name: "Answer",
        type: 11,
        message_id: question.id,
        owner_id: fake.botUser.id,
        auto_archive_duration: 4320,
        created_by: "bot",
      },
    ]);
    expect(fake.messagesIn(thread.id).map((m) => m.content)).toEqual(["In the thread"]);
    await expect(question.startThread({ name: "again" })).rejects.toThrow();

    const inThread = nextEvent(client, Events.MessageCreate, (m) => !m.author.bot);
    fake.userMessage({ channel: thread.id, content: "thanks" });
    const [followUp] = await inThread;
    expect(followUp.channel.isThread()).toBe(true);
    expect(followUp.channelId).toBe(thread.id);
  });

  it("creates a thread without a message, private unless asked otherwise", async () => {
    const client = await login();
    const channel = await textChannel(client);
    const thread = await channel.threads.create({ name: "scratch", type: ChannelType.PublicThread });
    await thread.send("notes");
    expect(fake.threads).toMatchObject([
      { id: thread.id, type: 11, message_id: undefined, created_by: "bot" },
    ]);
    expect(fake.messagesIn(thread.id).map((m) => m.content)).toEqual(["notes"]);
    const call = fake.calls.find((c) => c.route === "POST /channels/{channel_id}/threads");
    expect(call?.body).toMatchObject({ name: "scratch", type: 11, auto_archive_duration: 4320 });
  });

  it("sees a thread a user starts, and a channel added later", async () => {
    const client = await login();
    const created = nextEvent(client, Events.ThreadCreate);
    const thread = fake.startThread({ name: "user thread" });
    const [seen] = await created;
    expect(seen.id).toBe(thread.id);
    expect(seen.ownerId).toBe(fake.user.id);
    const channelCreated = nextEvent(client, Events.ChannelCreate);
    const random = fake.addChannel("random");
    expect((await channelCreated)[0].id).toBe(random.id);
  });

  it("adds and removes reactions and shows typing", async () => {
    const client = await login();
    const channel = await textChannel(client);
    const received = nextEvent(client, Events.MessageCreate, (m) => !m.author.bot);
    fake.userMessage({ content: "hi" });
    const [message] = await received;
    await message.react("👀");
    await message.react("✅");
    await message.reactions.resolve("👀")?.users.remove();
    await channel.sendTyping();
    expect(fake.reactions).toEqual([
      { channel_id: fake.channel.id, message_id: message.id, emoji: "👀", removed: true },
      { channel_id: fake.channel.id, message_id: message.id, emoji: "✅", removed: false },
    ]);
    expect(fake.typing).toMatchObject([{ channel_id: fake.channel.id }]);
    const reactionCalls = fake.calls.filter((c) => c.route?.includes("/reactions/"));
    // discord.js URL-encodes the unicode emoji in the path.
    expect(reactionCalls[0]?.path).toContain(encodeURIComponent("👀"));
    await expect(message.react("not-an-emoji")).rejects.toThrow();
  });
});

describe("waitFor", () => {
  it("resolves on the change it waits for, and times out saying what it waited for", async () => {
    const client = await login();
    const channel = await textChannel(client);
    const posted = fake.waitFor(() => fake.messages.find((m) => m.content === "later"));
    await channel.send("sooner");
    await channel.send("later");
    expect((await posted).content).toBe("later");
    await expect(fake.waitFor(() => false, { timeoutMs: 20, description: "nothing" })).rejects.toThrow(
      "fake Discord: timed out after 20 ms waiting for nothing",
    );
  });
});

describe("direct messages", () => {
  it("opens a DM with user.createDM() and records what the bot sends there", async () => {
    const client = await login();
    const user = await client.users.fetch(fake.user.id);
    const dm = await user.createDM();
    await dm.send("Hello in private");
    const channel = fake.dmChannel(fake.user);
    expect(dm.id).toBe(channel.id);
    expect(fake.messagesIn(channel)).toMatchObject([{ content: "Hello in private", guild_id: undefined }]);
  });

  it("delivers a user's DM to an uncached DM channel through the Channel partial", async () => {
    const client = await login();
    const received = nextEvent(client, Events.MessageCreate);
    fake.dm({ content: "psst" });
    const [message] = await received;
    expect(message.content).toBe("psst");
    expect(message.guildId).toBeNull();
    expect(message.channel.type).toBe(ChannelType.DM);
    await message.channel.send("pong");
    expect(fake.messagesIn(fake.dmChannel())).toMatchObject([{ content: "pong" }]);
  });
});
