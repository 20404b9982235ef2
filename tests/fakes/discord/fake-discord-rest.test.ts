/**
 * REST behaviour a bot must survive, through discord.js's own REST queue: scripted 429s (route
 * and global), bucket headers it obeys without a 429, 5xx retries, the upload limit; Discord's
 * generic errors over plain HTTP; and the CDN's signed, oversized and slow files.
 */
import { AttachmentBuilder, ChannelType, type Client, Events, RESTEvents } from "discord.js";
import { afterEach, describe, expect, it } from "vitest";
import { FakeDiscord, type FakeDiscordOptions } from "./fake-discord.ts";
import { nextEvent, readyClient } from "./test-client.ts";

let fake: FakeDiscord | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeDiscordOptions = {}) {
  const started = await FakeDiscord.start(options);
  fake = started;
  const client = await readyClient(started);
  clients.push(client);
  const channel = client.channels.cache.get(started.channel.id);
  if (!channel || channel.type !== ChannelType.GuildText) throw new Error("no text channel");
  return { fake: started, client, channel };
}

const SEND = "POST /channels/{channel_id}/messages" as const;

describe("rate limits, through discord.js's REST queue", () => {
  it("retries a route's 429s after retry_after, and the message arrives once", async () => {
    const { fake, client, channel } = await start();
    const limited: number[] = [];
    client.rest.on(RESTEvents.RateLimited, (info) => limited.push(info.retryAfter));
    fake.rateLimitNext(SEND, 2, 100);
    const started = Date.now();
    const sent = await channel.send("after the limit");
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(fake.calls.filter((c) => c.route === SEND).map((c) => c.status)).toEqual([429, 429, 200]);
    expect(fake.messages.map((m) => [m.id, m.content])).toEqual([[sent.id, "after the limit"]]);
    // discord.js waits out the emptied bucket (reset-after plus its 50 ms offsets) before each retry.
    expect(limited).toHaveLength(2);
    for (const wait of limited) expect(wait).toBeGreaterThanOrEqual(100);
  });

  it("waits out a global 429 too", async () => {
    const { fake, channel } = await start();
    fake.rateLimitNext(SEND, 1, 100, { global: true });
    await channel.send("global");
    expect(fake.calls.filter((c) => c.route === SEND).map((c) => c.status)).toEqual([429, 200]);
    expect(fake.messages).toHaveLength(1);
  });

  it("reports buckets that discord.js obeys before it would be refused", async () => {
    const { fake, channel } = await start({ routeLimit: { limit: 2, windowMs: 200 } });
    for (const text of ["one", "two", "three"]) await channel.send(text);
    expect(fake.calls.filter((c) => c.route === SEND).map((c) => c.status)).toEqual([200, 200, 200]);
    expect(fake.messages.map((m) => m.content)).toEqual(["one", "two", "three"]);
    const response = await fetch(`${fake.apiUrl}/v10/users/@me`, {
      headers: { authorization: `Bot ${fake.token}` },
    });
    expect(response.headers.get("x-ratelimit-limit")).toBe("2");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(Number(response.headers.get("x-ratelimit-reset-after"))).toBeLessThanOrEqual(0.2);
    expect(response.headers.get("x-ratelimit-bucket")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("retries a 500 as discord.js does, and refuses an upload over the limit with 413", async () => {
    const { fake, channel } = await start({ maxUploadBytes: 16 });
    fake.failNext(SEND, 500);
    await channel.send("after a 500");
    expect(fake.calls.filter((c) => c.route === SEND).map((c) => c.status)).toEqual([500, 200]);
    const big = new AttachmentBuilder(Buffer.alloc(17), { name: "big.bin" });
    await expect(channel.send({ files: [big] })).rejects.toMatchObject({ code: 40005, status: 413 });
    expect(fake.messages.map((m) => m.content)).toEqual(["after a 500"]);
  });
});

describe("plain HTTP", () => {
  it("answers Discord's generic errors: 401, 404, 405, invalid JSON", async () => {
    fake = await FakeDiscord.start();
    const api = `${fake.apiUrl}/v10`;
    const auth = { authorization: `Bot ${fake.token}` };
    const answer = async (response: Response) => [response.status, await response.json()];
    expect(await answer(await fetch(`${api}/users/@me`))).toEqual([
      401,
      { message: "401: Unauthorized", code: 0 },
    ]);
    expect(await answer(await fetch(`${api}/nowhere`, { headers: auth }))).toEqual([
      404,
      { message: "404: Not Found", code: 0 },
    ]);
    expect(await answer(await fetch(`${api}/users/@me`, { method: "DELETE", headers: auth }))).toEqual([
      405,
      { message: "405: Method Not Allowed", code: 0 },
    ]);
    const invalid = await fetch(`${api}/channels/${fake.channel.id}/messages`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: "{nope",
    });
    expect(await answer(invalid)).toEqual([
      400,
      { message: "The request body contains invalid JSON.", code: 50109 },
    ]);
    const unknown = await fetch(`${api}/channels/1/messages`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ content: "hi" }),
    });
    expect(await answer(unknown)).toEqual([404, { message: "Unknown Channel", code: 10003 }]);
    expect(fake.calls.map((c) => c.status)).toEqual([401, 404, 405, 400, 404]);
  });
});

describe("lookups through discord.js", () => {
  it("fetches channels, the guild, members and message history", async () => {
    const { fake, client, channel } = await start();
    client.channels.cache.delete(fake.channel.id);
    const fetched = await client.channels.fetch(fake.channel.id);
    expect(fetched?.id).toBe(fake.channel.id);
    const guild = await client.guilds.fetch({ guild: fake.guild.id, force: true });
    expect(guild.name).toBe("Fake Guild");
    const member = await guild.members.fetch(fake.user.id);
    expect(member.user.username).toBe("alice");

    const first = nextEvent(client, Events.MessageCreate, (m) => m.content === "third");
    fake.userMessage({ content: "first" });
    fake.userMessage({ content: "second" });
    fake.userMessage({ content: "third" });
    await first;
    await channel.send("fourth");
    const latest = await channel.messages.fetch({ limit: 2, cache: false });
    expect([...latest.values()].map((m) => m.content)).toEqual(["fourth", "third"]);
    const older = await channel.messages.fetch({ before: latest.last()?.id ?? "", cache: false });
    expect([...older.values()].map((m) => m.content)).toEqual(["second", "first"]);
  });
});

describe("the CDN", () => {
  it("serves only signed URLs, as Discord's CDN does", async () => {
    fake = await FakeDiscord.start();
    const file = fake.cdn.add("a.txt", Buffer.from("hello"));
    expect(file.url).toMatch(/\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]{64}&$/);
    expect(await (await fetch(file.url)).text()).toBe("hello");
    expect(await (await fetch(file.proxy_url)).text()).toBe("hello");
    const tampered = file.url.replace(/hm=[0-9a-f]/, "hm=x");
    const refused = await fetch(tampered);
    expect([refused.status, await refused.text()]).toEqual([404, "This content is no longer available."]);
    expect(fake.downloads.map((d) => d.status)).toEqual([200, 200, 404]);
  });

  it("can serve more bytes than the attachment claims, without Content-Length, and slowly", async () => {
    fake = await FakeDiscord.start();
    const bytes = Buffer.alloc(200_000, 7);
    const file = fake.cdn.add("big.bin", bytes, undefined, {
      claimedSize: 1_000,
      omitContentLength: true,
      delayMs: 50,
    });
    expect(file.size).toBe(1_000);
    const started = Date.now();
    const response = await fetch(file.url);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(response.headers.get("content-length")).toBeNull();
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect((await response.arrayBuffer()).byteLength).toBe(200_000);
  });
});
