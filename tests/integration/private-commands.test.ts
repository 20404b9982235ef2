/**
 * `usage` and `status` by slash command answer the person who asked, privately, wherever they
 * ask: a Slack ephemeral response, a Discord ephemeral reply. No thread, no sandbox.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { STATUS_FOR_ADMINS_TEXT } from "../../src/bot/status-report.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { createDiscordHarness, type DiscordHarness } from "../helpers/discord-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

const LIMITS = { LIMIT_REQUESTS_PER_HOUR: "20" };

describe("Slack slash commands answered privately", () => {
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  let h: SlackHarness;

  beforeAll(async () => {
    h = await createSlackHarness({ sandbox, env: { ...LIMITS, ACCESS_ADMINS: "U0ADMIN" } });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  async function slash(text: string, user: string): Promise<unknown> {
    const before = h.slack.responseUrlPosts.length;
    await h.slack.sendSlashCommand({ command: "/python", text, user_id: user, channel_id: "C0GENERAL" });
    return vi.waitFor(() => {
      const found = h.slack.responseUrlPosts[before];
      if (!found) throw new Error("no response yet");
      return found.body;
    });
  }

  it("answers /python usage in a channel with the person's usage, ephemerally, with no thread", async () => {
    const posted = h.slack.messages.length;
    const body = (await slash("usage", "U0ALICE")) as { response_type: string; text: string };
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain("Your usage today (UTC): 0 requests");
    expect(body.text).toContain("20 requests per hour: 0 in the last 60 minutes, 20 left.");
    expect(h.slack.messages.length).toBe(posted);
    expect(sandbox.acquired).toEqual([]);
  });

  it("answers /python status to an admin, and tells anyone else it is for admins", async () => {
    const admin = (await slash("status", "U0ADMIN")) as { text: string };
    expect(admin.text).toContain("• Today (UTC):");
    const other = (await slash("status", "U0ALICE")) as { text: string };
    expect(other.text).toBe(STATUS_FOR_ADMINS_TEXT);
  });
});

describe("Discord /usage answered privately", () => {
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  let h: DiscordHarness;

  beforeAll(async () => {
    h = await createDiscordHarness({ sandbox, env: LIMITS });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it("answers /usage in a channel with an ephemeral reply and starts no thread or sandbox", async () => {
    const threads = h.discord.threads.length;
    const interaction = h.discord.command({ name: "usage" });
    const deferred = await h.discord.waitFor(() =>
      h.discord.interactionResponses.find((r) => r.interaction_id === interaction.id),
    );
    expect(deferred.data).toMatchObject({ flags: 64 });
    const answer = await h.discord.waitFor(() => {
      const id = interaction.original_message_id;
      const message = h.discord.messages.find((m) => m.id === id);
      return message?.content?.includes("Your usage today") ? message : undefined;
    });
    expect(answer.content).toContain("20 requests per hour: 0 in the last 60 minutes, 20 left.");
    expect(h.discord.threads.length).toBe(threads);
    expect(sandbox.acquired).toEqual([]);
  });
});
