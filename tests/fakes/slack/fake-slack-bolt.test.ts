/**
 * Drives the real Bolt App, in Socket Mode and in HTTP mode, against the fake: envelopes and
 * their acks, `disconnect` and reconnection, request signing, retries and url_verification,
 * exactly as Bolt's receivers handle them.
 */
import { App, LogLevel } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type FakeSlack, startFakeSlack } from "./fake-slack.ts";

const CHANNEL = "C0GENERAL";
const USER = "U0ALICE";

let fake: FakeSlack;
const stops: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  fake = await startFakeSlack();
});

afterEach(async () => {
  // Apps first: a Socket Mode client whose server vanished keeps trying to reconnect.
  for (const stop of stops.splice(0).reverse()) await stop();
  await fake.close();
});

interface MentionEvent {
  type: "app_mention";
  user: string;
  text: string;
  ts: string;
  channel: string;
  event_ts: string;
}

function mention(text: string): MentionEvent {
  const ts = fake.nextTs();
  return {
    type: "app_mention",
    user: USER,
    text: `<@${fake.botUserId}> ${text}`,
    ts,
    channel: CHANNEL,
    event_ts: ts,
  };
}

describe("Socket Mode, through a real Bolt App", () => {
  async function startSocketApp(setup: (app: App) => void): Promise<App> {
    const app = new App({
      token: fake.botToken,
      appToken: fake.appToken,
      socketMode: true,
      clientOptions: { slackApiUrl: fake.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    setup(app);
    await app.start();
    stops.push(() => app.stop());
    return app;
  }

  it("delivers an app_mention to the listener, which is acked and can reply in the thread", async () => {
    const seen: Array<{ text: string; retryNum: number | undefined }> = [];
    await startSocketApp((app) =>
      app.event("app_mention", async ({ event, context, client, say }) => {
        seen.push({ text: event.text, retryNum: context.retryNum });
        if (context.retryNum) return;
        await client.reactions.add({ channel: event.channel, timestamp: event.ts, name: "eyes" });
        await say({ text: "On it.", thread_ts: event.ts });
      }),
    );
    expect(fake.socketConnections()).toBe(1);
    const event = mention("plot sin(x)");
    expect(await fake.sendEvent(event)).toMatchObject({ acked: true });
    await vi.waitFor(() => expect(fake.messages).toHaveLength(1));
    expect(fake.messages[0]).toMatchObject({ channel: CHANNEL, thread_ts: event.ts, text: "On it." });
    expect(fake.messages[0]?.ts.localeCompare(event.ts)).toBe(1);
    expect(fake.reactions).toEqual([{ channel: CHANNEL, timestamp: event.ts, name: "eyes", removed: false }]);
    expect(await fake.sendEvent(event, { retryAttempt: 1 })).toMatchObject({ acked: true });
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen).toEqual([
      { text: "<@UBOT> plot sin(x)", retryNum: 0 },
      { text: "<@UBOT> plot sin(x)", retryNum: 1 },
    ]);
    const tokens = fake.calls.map((c) => [c.method, c.token]);
    expect(tokens).toContainEqual(["apps.connections.open", fake.appToken]);
    expect(tokens).toContainEqual(["auth.test", fake.botToken]);
  });

  it("delivers a slash command whose ack payload and response_url post come back", async () => {
    await startSocketApp((app) =>
      app.command("/python", async ({ command, ack, respond }) => {
        await ack({ text: `Running \`${command.text}\`` });
        await respond({ response_type: "ephemeral", text: "done" });
      }),
    );
    const result = await fake.sendSlashCommand({
      command: "/python",
      text: "1+1",
      user_id: USER,
      channel_id: CHANNEL,
    });
    expect(result).toMatchObject({ acked: true, responsePayload: { text: "Running `1+1`" } });
    await vi.waitFor(() => expect(fake.responseUrlPosts).toHaveLength(1));
    expect(fake.responseUrlPosts[0]?.body).toEqual({ response_type: "ephemeral", text: "done" });
  });

  it("reconnects through apps.connections.open after a disconnect message, and events flow again", async () => {
    const texts: string[] = [];
    await startSocketApp((app) => app.event("app_mention", async ({ event }) => void texts.push(event.text)));
    await fake.disconnect("refresh_requested");
    // The SDK waits clientPingTimeout (5 s, not settable through App) before reconnecting.
    await fake.waitForSocket(2);
    expect(fake.openSockets()).toBe(1);
    expect(fake.calls.filter((c) => c.method === "apps.connections.open")).toHaveLength(2);
    expect(await fake.sendEvent(mention("still there?"))).toMatchObject({ acked: true });
    await vi.waitFor(() => expect(texts).toEqual(["<@UBOT> still there?"]));
  }, 15_000);
});

describe("HTTP mode, through a real Bolt App", () => {
  async function startHttpApp(setup: (app: App) => void): Promise<string> {
    const app = new App({
      token: fake.botToken,
      signingSecret: fake.signingSecret,
      port: 0,
      clientOptions: { slackApiUrl: fake.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    setup(app);
    const server = await app.start();
    stops.push(() => app.stop());
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return `http://127.0.0.1:${address.port}/slack/events`;
  }

  it("accepts a signed event and refuses bad, stale and missing signatures", async () => {
    const seen: Array<{ text: string; retryNum: number | undefined; retryReason: string | undefined }> = [];
    const url = await startHttpApp((app) =>
      app.event("app_mention", async ({ event, context }) => {
        seen.push({ text: event.text, retryNum: context.retryNum, retryReason: context.retryReason });
      }),
    );
    const body = fake.eventCallback(mention("hi"));
    expect(await fake.postSignedEvent(url, body)).toEqual({ status: 200, body: "" });
    expect((await fake.postSignedEvent(url, body, { retryNum: 2 })).status).toBe(200);
    for (const bad of [{ badSignature: true }, { staleTimestamp: true }, { noSignature: true }]) {
      expect((await fake.postSignedEvent(url, body, bad)).status).toBe(401);
    }
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen).toEqual([
      { text: "<@UBOT> hi", retryNum: undefined, retryReason: undefined },
      { text: "<@UBOT> hi", retryNum: 2, retryReason: "http_timeout" },
    ]);
  });

  it("answers url_verification and acks a signed slash command in the HTTP response", async () => {
    const url = await startHttpApp((app) =>
      app.command("/python", async ({ command, ack }) => {
        await ack(`Running ${command.text}`);
      }),
    );
    const challenge = { token: "fake-verification-token", challenge: "c-123", type: "url_verification" };
    expect(await fake.postSignedEvent(url, challenge)).toEqual({
      status: 200,
      body: '{"challenge":"c-123"}',
    });
    const fields = { command: "/python", text: "2**10", user_id: USER, channel_id: CHANNEL };
    expect(await fake.postSignedCommand(url, fields)).toEqual({ status: 200, body: "Running 2**10" });
  });
});
