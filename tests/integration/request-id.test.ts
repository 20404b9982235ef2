/**
 * One request, one id in the logs: from the Slack event through the bot, the model client (a
 * retried 429) and the Docker sandbox starting a container for the run, every line about the
 * request carries the same `request`, and lines of another request carry another.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonCall } from "../helpers/bot-harness.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

const { logger, lines } = collectingLogger("debug");
let h: SlackHarness;

beforeAll(async () => {
  h = await createSlackHarness({ logger });
}, 180_000);

afterAll(async () => {
  await h?.close();
});

describe("request ids in the logs", () => {
  it("follow a request from the platform event through the agent and the sandbox run", async () => {
    h.bot.fake.enqueue(
      { kind: "error", status: 429, retryAfterMs: 10, message: "Rate limit reached" },
      { kind: "reply", toolCalls: [pythonCall("print(6 * 7)")] },
      { kind: "reply", content: "It is 42." },
    );
    const first = lines.length;
    const sent = await h.driver.startThread("what is 6*7? use python");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    const during = lines.slice(first);
    const received = during.find((line) => line.msg === "Slack message received");
    const id = received?.request;
    expect(id).toMatch(/^r-[0-9a-f]{10}$/);
    const mine = during
      .filter((line) => line.request === id)
      .map((line) => `${line.component ?? line.platform}: ${line.msg}`);
    expect(mine).toEqual(
      expect.arrayContaining([
        "slack: Slack message received",
        "bot: access allowed",
        "model: model call failed; retrying",
        "sandbox: sandbox container started",
      ]),
    );

    h.bot.fake.enqueue({ kind: "reply", content: "Hello again." });
    const next = lines.length;
    const again = await h.driver.startThread("hello");
    expect(await h.driver.waitForReply(again)).toBe("done");
    const other = lines.slice(next).find((line) => line.msg === "Slack message received")?.request;
    expect(other).toMatch(/^r-[0-9a-f]{10}$/);
    expect(other).not.toBe(id);
  });
});
