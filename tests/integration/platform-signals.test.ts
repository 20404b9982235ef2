/**
 * What the adapters tell operators about their platforms, over the real SDKs against the fake
 * servers: rate-limit waits and failed API calls (for metrics), and whether the connection is up
 * (for /readyz) as it drops and comes back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { PlatformObserver } from "../../src/bot/platform-observer.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { createDiscordHarness, type DiscordHarness } from "../helpers/discord-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

/** An observer that keeps what it heard. */
function recorder() {
  const errors: string[] = [];
  const waits: number[] = [];
  const observer: PlatformObserver = {
    apiError: (event) => errors.push(`${event.platform}:${event.kind}`),
    rateLimited: (event) => waits.push(event.waitMs),
  };
  return { observer, errors, waits };
}

describe("Slack signals", () => {
  let h: SlackHarness;
  const heard = recorder();

  beforeAll(async () => {
    h = await createSlackHarness({ sandbox: new FakeSandbox({ limits: TEST_LIMITS }) });
    h.adapter.observe(heard.observer);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it("tells a rate-limit wait and a failed call, and the reply still arrives", async () => {
    h.slack.failNext("chat.postMessage", { status: 429, retryAfterSeconds: 1 });
    h.bot.fake.enqueue({ kind: "reply", content: "First answer." });
    const first = await h.driver.startThread("hello");
    expect(await h.driver.waitForReply(first)).toBe("done");
    expect(heard.waits).toEqual([1_000]);

    h.slack.failNext("chat.postMessage", { error: "channel_not_found" });
    h.bot.fake.enqueue({ kind: "reply", content: "Second answer." });
    const second = await h.driver.startThread("hello again");
    expect(await h.driver.waitForReply(second)).toBe("done");
    expect(heard.errors).toContain("slack:channel_not_found");
  });

  it("is ready while Socket Mode is connected, not while it reconnects, and ready again after", async () => {
    expect(h.adapter.ready()).toBe(true);
    h.slack.holdConnections();
    h.slack.dropSockets();
    await vi.waitFor(() => expect(h.adapter.ready()).toBe(false), { timeout: 10_000 });
    h.slack.releaseConnections();
    await vi.waitFor(() => expect(h.adapter.ready()).toBe(true), { timeout: 30_000 });
  });
});

describe("Discord signals", () => {
  let h: DiscordHarness;
  const heard = recorder();

  beforeAll(async () => {
    h = await createDiscordHarness({ sandbox: new FakeSandbox({ limits: TEST_LIMITS }) });
    h.adapter.observe(heard.observer);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it("tells a rate-limit wait and a failed call, and the reply still arrives", async () => {
    h.discord.rateLimitNext("POST /channels/{channel_id}/messages", 1, 250);
    h.discord.failNext("PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", 403, {
      message: "Missing Permissions",
      code: 50013,
    });
    h.bot.fake.enqueue({ kind: "reply", content: "An answer." });
    const sent = await h.driver.startThread("hello");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    expect(heard.waits.length).toBeGreaterThanOrEqual(1);
    expect(heard.waits[0]).toBeGreaterThan(0);
    expect(heard.errors).toContain("discord:http_403");
  });

  it("is ready while the gateway is connected, not while it reconnects, and ready again after", async () => {
    expect(h.adapter.ready()).toBe(true);
    h.discord.holdConnections();
    h.discord.dropConnection({ code: 4000 });
    await vi.waitFor(() => expect(h.adapter.ready()).toBe(false), { timeout: 10_000 });
    h.discord.releaseConnections();
    await vi.waitFor(() => expect(h.adapter.ready()).toBe(true), { timeout: 30_000 });
  });
});
