/**
 * The gateway's life through the real discord.js `Client`: heartbeats, a dropped connection,
 * RECONNECT, INVALID_SESSION, close codes and redelivered dispatches; then, with a bare
 * WebSocket, the wire itself: zlib-stream and payload compression, version checks, RESUME of
 * an unknown session.
 */
import { once } from "node:events";
import { constants, createInflate, inflateSync } from "node:zlib";
import { type Client, Events, GatewayDispatchEvents, type Message } from "discord.js";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { FakeDiscord, type FakeDiscordOptions, type GatewayPayload } from "./fake-discord.ts";
import { botClient, collectEvents, nextEvent, readyClient } from "./test-client.ts";

let fake: FakeDiscord | undefined;
const clients: Client[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  for (const client of clients.splice(0)) await client.destroy();
  await fake?.close();
  fake = undefined;
});

async function start(
  options: FakeDiscordOptions = {},
  clientOptions: Parameters<typeof readyClient>[1] = {},
): Promise<{ fake: FakeDiscord; client: Client<true> }> {
  const started = await FakeDiscord.start(options);
  fake = started;
  const client = await readyClient(started, clientOptions);
  clients.push(client);
  return { fake: started, client };
}

/**
 * Sends a user message and then a sentinel, and resolves once the sentinel arrived: by then
 * the message has arrived as often as it ever will, so counting it needs no sleep.
 */
async function deliveredCount(fake: FakeDiscord, client: Client, content: string): Promise<number> {
  const seen: Message[] = [];
  const listener = (message: Message) => {
    if (message.content === content) seen.push(message);
  };
  client.on(Events.MessageCreate, listener);
  const sentinel = nextEvent(client, Events.MessageCreate, (m) => m.content === `${content} (sentinel)`);
  fake.userMessage({ content });
  fake.userMessage({ content: `${content} (sentinel)` });
  await sentinel;
  client.off(Events.MessageCreate, listener);
  return seen.length;
}

describe("through discord.js", () => {
  it("answers heartbeats with ACKs, and the client beats at once when asked", async () => {
    const { fake, client } = await start({ heartbeatIntervalMs: 50 });
    const beats = () => fake.frames.filter((f) => f.direction === "in" && f.payload.op === 1).length;
    await fake.waitFor(() => beats() >= 2, { description: "two heartbeats" });
    expect(
      fake.frames.filter((f) => f.direction === "out" && f.payload.op === 11).length,
    ).toBeGreaterThanOrEqual(1);
    expect(client.ws.ping).toBeGreaterThanOrEqual(0);
    expect(fake.frames[0]?.payload).toMatchObject({
      op: 10,
      d: { heartbeat_interval: 50 },
      s: null,
      t: null,
    });
    const before = beats();
    fake.requestHeartbeat();
    await fake.waitFor(() => beats() > before, { description: "a requested heartbeat" });
  });

  it("resumes after a dropped connection, and the next message arrives exactly once", async () => {
    const { fake, client } = await start();
    const resumed = nextEvent(client, Events.ShardResume);
    fake.dropConnection();
    await resumed;
    expect(fake.connections.map((c) => [c.path, c.close_code, c.closed_by])).toEqual([
      ["/gateway", 1006, "server"],
      ["/gateway/resume", undefined, undefined],
    ]);
    expect(fake.resumes).toMatchObject([{ accepted: true, replayed: 0, path: "/gateway/resume" }]);
    expect(fake.identifies).toHaveLength(1);
    expect(await deliveredCount(fake, client, "after the drop")).toBe(1);
  });

  it("replays, once, what was dispatched while the connection was down", async () => {
    const { fake, client } = await start();
    const received = nextEvent(client, Events.MessageCreate);
    fake.dropConnection();
    const sent = fake.userMessage({ content: "while you were away" });
    const [message] = await received;
    expect(message.id).toBe(sent.id);
    expect(fake.resumes).toMatchObject([{ accepted: true, replayed: 1 }]);
    expect(await deliveredCount(fake, client, "and after")).toBe(1);
  });

  it("survives op 7 RECONNECT by resuming on the resume URL", async () => {
    const { fake, client } = await start();
    const resumed = nextEvent(client, Events.ShardResume);
    fake.reconnect();
    await resumed;
    // discord.js closes with 4200, its own code for "closing to resume".
    expect(fake.connections[0]).toMatchObject({ close_code: 4200, closed_by: "client" });
    expect(fake.resumes).toMatchObject([{ accepted: true, path: "/gateway/resume" }]);
    expect(await deliveredCount(fake, client, "after reconnect")).toBe(1);
  });

  it("resumes on the same connection after a resumable INVALID_SESSION", async () => {
    const { fake, client } = await start();
    const resumed = nextEvent(client, Events.ShardResume);
    fake.invalidSession(true);
    await resumed;
    expect(fake.connections).toHaveLength(1);
    expect(fake.resumes).toMatchObject([{ accepted: true, path: "/gateway" }]);
    expect(await deliveredCount(fake, client, "after invalid session")).toBe(1);
  });

  it("identifies again after a non-resumable INVALID_SESSION", async () => {
    // discord.js waits 5 s between IDENTIFYs by default; an unthrottled client keeps this test short.
    const { fake, client } = await start(
      {},
      { ws: { buildIdentifyThrottler: () => ({ waitForIdentify: async () => {} }) } },
    );
    const readyAgain = nextEvent(client, Events.ShardReady);
    fake.invalidSession(false);
    await readyAgain;
    expect(fake.identifies).toHaveLength(2);
    expect(fake.resumes).toEqual([]);
    expect(fake.connections[0]).toMatchObject({ close_code: 1000, closed_by: "client" });
    expect(await deliveredCount(fake, client, "new session")).toBe(1);
  });

  it("resumes after a close with a resumable code, and stops on 4004", async () => {
    const { fake, client } = await start();
    const resumed = nextEvent(client, Events.ShardResume);
    fake.dropConnection({ code: 4000 });
    await resumed;
    expect(fake.connections[0]).toMatchObject({ close_code: 4000, closed_by: "server" });
    const gone = nextEvent(client, Events.ShardDisconnect);
    fake.dropConnection({ code: 4004 });
    const [event] = await gone;
    expect(event.code).toBe(4004);
  });

  it("redelivers a dispatch: discord.js drops a cached message's twin, not an interaction's", async () => {
    const { fake, client } = await start();
    await client.application.commands.set([{ name: "ping", description: "Ping" }]);
    const raw: unknown[] = [];
    client.ws.on(GatewayDispatchEvents.MessageCreate, (data: unknown) => raw.push(data));
    const first = nextEvent(client, Events.MessageCreate);
    const sent = fake.userMessage({ content: "once or twice?" });
    await first;
    fake.redeliver("MESSAGE_CREATE");
    // The redelivered packet arrives (raw) but MessageCreateAction finds the message cached.
    expect(await deliveredCount(fake, client, "marker")).toBe(1);
    expect(raw.filter((d) => isRecord(d) && d.id === sent.id)).toHaveLength(2);

    const interactions = collectEvents(client, Events.InteractionCreate);
    const twice = nextEvent(client, Events.InteractionCreate, () => interactions.length === 2);
    const interaction = fake.command({ name: "ping" });
    fake.redeliver("INTERACTION_CREATE");
    await twice;
    expect(interactions.map(([i]) => i.id)).toEqual([interaction.id, interaction.id]);
  });

  it("refuses an IDENTIFY with privileged intents the app was not granted (4014)", async () => {
    fake = await FakeDiscord.start({ privilegedIntents: 0 });
    const client = botClient(fake);
    clients.push(client);
    await expect(client.login(fake.token)).rejects.toThrow(/disallowed intents/i);
    expect(fake.identifies).toMatchObject([{ refused_with: 4014 }]);
    const started = fake;
    const closed = await fake.waitFor(() => started.connections[0]?.closed_at && started.connections[0]);
    expect(closed).toMatchObject({ close_code: 4014, closed_by: "server" });
  });
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A bare gateway client: frames in order, decoded however the connection compresses them. */
async function rawGateway(url: string, decode: (data: Buffer) => Promise<GatewayPayload | undefined>) {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const received: GatewayPayload[] = [];
  const waiting: Array<() => void> = [];
  const binary: boolean[] = [];
  let decoding = Promise.resolve();
  ws.on("message", (data: Buffer, isBinary) => {
    binary.push(isBinary);
    decoding = decoding.then(async () => {
      const payload = isBinary ? await decode(data) : (JSON.parse(data.toString()) as GatewayPayload);
      if (payload) received.push(payload);
      for (const wake of waiting.splice(0)) wake();
    });
  });
  await once(ws, "open");
  return {
    ws,
    binary,
    send: (payload: unknown) => ws.send(JSON.stringify(payload)),
    /** Resolves with the `n`th frame (0-based) once it has arrived. */
    async frame(n: number): Promise<GatewayPayload> {
      while (received.length <= n) await new Promise<void>((resolve) => waiting.push(resolve));
      const frame = received[n];
      if (!frame) throw new Error(`no frame ${n}`);
      return frame;
    },
  };
}

function identify(token: string, compress = false) {
  return {
    op: 2,
    d: { token, intents: 1 | 512, properties: { os: "linux", browser: "raw", device: "raw" }, compress },
  };
}

describe("the wire", () => {
  it("speaks zlib-stream: one deflate context, each frame ending in 00 00 ff ff", async () => {
    fake = await FakeDiscord.start();
    const inflate = createInflate();
    const decode = (data: Buffer) =>
      new Promise<GatewayPayload | undefined>((resolve) => {
        expect(data.subarray(-4).toString("hex")).toBe("0000ffff");
        const chunks: Buffer[] = [];
        const onData = (chunk: Buffer) => chunks.push(chunk);
        inflate.on("data", onData);
        inflate.write(data);
        inflate.flush(constants.Z_SYNC_FLUSH, () => {
          inflate.off("data", onData);
          resolve(JSON.parse(Buffer.concat(chunks).toString()) as GatewayPayload);
        });
      });
    const gateway = await rawGateway(`${fake.gatewayUrl}?v=10&encoding=json&compress=zlib-stream`, decode);
    expect((await gateway.frame(0)).op).toBe(10);
    gateway.send(identify(fake.token));
    expect(await gateway.frame(1)).toMatchObject({ op: 0, t: "READY", s: 1, d: { v: 10 } });
    expect(await gateway.frame(2)).toMatchObject({
      op: 0,
      t: "GUILD_CREATE",
      s: 2,
      d: { id: fake.guild.id },
    });
    fake.userMessage({ content: "compressed" });
    expect(await gateway.frame(3)).toMatchObject({ t: "MESSAGE_CREATE", s: 3, d: { content: "" } });
    expect(gateway.binary.every(Boolean)).toBe(true);
    expect(fake.connections[0]?.compress).toBe("zlib-stream");
    inflate.destroy();
  });

  it("deflates each dispatch on its own after IDENTIFY's compress: true", async () => {
    fake = await FakeDiscord.start();
    const decode = async (data: Buffer) => JSON.parse(inflateSync(data).toString()) as GatewayPayload;
    const gateway = await rawGateway(`${fake.gatewayUrl}?v=10&encoding=json`, decode);
    expect((await gateway.frame(0)).op).toBe(10);
    gateway.send(identify(fake.token, true));
    expect(await gateway.frame(1)).toMatchObject({ t: "READY" });
    expect(gateway.binary).toEqual([false, true, true]);
  });

  it("answers RESUME of an unknown session with INVALID_SESSION false, and a bad version with 4012", async () => {
    fake = await FakeDiscord.start();
    const json = async (data: Buffer) => JSON.parse(data.toString()) as GatewayPayload;
    const gateway = await rawGateway(`${fake.gatewayUrl}?v=10&encoding=json`, json);
    await gateway.frame(0);
    gateway.send({ op: 6, d: { token: fake.token, session_id: "nope", seq: 3 } });
    expect(await gateway.frame(1)).toEqual({ op: 9, d: false, s: null, t: null });
    expect(fake.resumes).toMatchObject([{ session_id: "nope", accepted: false }]);

    const old = new WebSocket(`${fake.gatewayUrl}?v=9&encoding=json`);
    sockets.push(old);
    const [code] = (await once(old, "close")) as [number];
    expect(code).toBe(4012);
    const etf = new WebSocket(`${fake.gatewayUrl}?v=10&encoding=etf`);
    sockets.push(etf);
    const [error] = (await once(etf, "error")) as [Error];
    expect(error.message).toMatch(/400/);
  });

  it("closes with 4004 on a bad token and 4003 on a payload before IDENTIFY", async () => {
    fake = await FakeDiscord.start();
    const json = async (data: Buffer) => JSON.parse(data.toString()) as GatewayPayload;
    const first = await rawGateway(`${fake.gatewayUrl}?v=10&encoding=json`, json);
    await first.frame(0);
    first.send(identify("wrong"));
    const [code] = (await once(first.ws, "close")) as [number];
    expect(code).toBe(4004);
    const second = await rawGateway(`${fake.gatewayUrl}?v=10&encoding=json`, json);
    await second.frame(0);
    second.send({ op: 3, d: { status: "online", since: null, activities: [], afk: false } });
    const [notAuthenticated] = (await once(second.ws, "close")) as [number];
    expect(notAuthenticated).toBe(4003);
  });
});
