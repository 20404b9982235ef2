/**
 * Issue #11, the chat platforms: Slack rate-limits an edit or a file upload, Slack's Socket Mode
 * connection drops while a run is under way, Discord's gateway closes while a run is under way.
 * The real Bolt and discord.js against the fake Slack and Discord, the fake OpenAI server, the
 * real Docker sandbox (one per platform). Each test reads the thread as the person sees it: the
 * reply arrives whole and once, and the conversation carries on with its session.
 *
 * Tested elsewhere, not repeated here: Slack's 429 on chat.postMessage (tests/integration/
 * slack.test.ts, "retries chat.postMessage after a 429's Retry-After"); Discord's 429 on a
 * message create, answered once (tests/integration/discord.test.ts, "waits out a rate limit and
 * still answers once"); a gateway dropped between runs (discord.test.ts and slack.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContractDriver } from "../contract/adapter-contract.ts";
import { pythonCall } from "../helpers/bot-harness.ts";
import { createDiscordHarness, type DiscordHarness } from "../helpers/discord-harness.ts";
import {
  expectSessionSurvives,
  type FaultChat,
  faultSandbox,
  gate,
  threadWithVariable,
  until,
} from "../helpers/fault-session.ts";
import type { TestSandbox } from "../helpers/sandbox.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

/** Slack's answer to a client over its rate limit: HTTP 429, wait a second. */
const limited = { status: 429, retryAfterSeconds: 1 } as const;

const ANSWER = "Here is the whole answer, streamed in parts. ".repeat(8).trim();

/**
 * Sends a message whose answer streams and then holds half-way; resolves once the person can
 * see the first part, so the test breaks the connection while the run is known to be under way.
 */
async function runHeldHalfWay(chat: FaultChat, thread: string) {
  const held = gate();
  chat.model.enqueue({
    kind: "reply",
    content: ANSWER,
    chunkSize: 40,
    pause: { afterEvents: 3, until: held.until },
  });
  const before = chat.driver.view(thread).texts.length;
  const sent = await chat.driver.reply(thread, "tell me everything");
  await until("the first part of the answer in the thread", () =>
    chat.driver.view(thread).texts.length > before ? true : undefined,
  );
  return { sent, release: held.open, answers: () => answersIn(chat.driver, thread) };
}

/** Messages in the thread that show (part of) the streamed answer. */
function answersIn(driver: ContractDriver, thread: string): string[] {
  return driver.view(thread).texts.filter((text) => text.startsWith("Here is the whole answer"));
}

let lastKept = 100;

/** A different value for each thread, so a mixed-up session could not pass for the right one. */
function nextKept(): number {
  lastKept += 1;
  return lastKept;
}

describe("Slack", () => {
  let sandbox: TestSandbox;
  let h: SlackHarness;
  let chat: FaultChat;
  beforeAll(async () => {
    sandbox = await faultSandbox();
    h = await createSlackHarness({ sandbox: sandbox.manager });
    chat = { driver: h.driver, model: h.bot.fake };
  }, 900_000);
  afterAll(async () => {
    await h?.close();
    await sandbox?.cleanup();
  });

  it("waits out a 429 on chat.update: the run's result and the streamed answer arrive whole, once", async () => {
    const value = nextKept();
    const { thread } = await threadWithVariable(chat, value);
    const before = h.slack.calls.length;
    // The first edit adds the run's output to its code message; the next ones grow the answer.
    h.slack.failNext("chat.update", { status: 429, retryAfterSeconds: 1 });
    h.slack.failNext("chat.update", { status: 429, retryAfterSeconds: 1 });
    h.bot.fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall("print(kept * 3)")] },
      { kind: "reply", content: ANSWER, chunkSize: 40, delayMsBetweenChunks: 30 },
    );
    const sent = await h.driver.reply(thread, "triple it and explain");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    const updates = h.slack.calls.slice(before).filter((call) => call.method === "chat.update");
    expect(updates.filter((call) => call.status === 429)).toHaveLength(2);
    expect(answersIn(h.driver, thread)).toEqual([ANSWER]);
    const texts = h.driver.view(thread).texts;
    expect(texts.filter((text) => text.includes("print(kept * 3)"))).toHaveLength(1);
    expect(texts.find((text) => text.includes("print(kept * 3)"))).toContain(String(value * 3));
  });

  it.each(["files.getUploadURLExternal", "upload URL", "files.completeUploadExternal"])(
    "waits out a 429 on %s: the file arrives with its bytes, once",
    async (step) => {
      const value = nextKept();
      const { thread } = await threadWithVariable(chat, value);
      const calls = h.slack.calls.length;
      const posts = h.slack.uploadPosts.length;
      if (step === "upload URL") h.slack.failNextUpload(limited);
      else h.slack.failNext(step, limited);
      h.bot.fake.enqueue(
        {
          kind: "reply",
          toolCalls: [pythonCall("open('/mnt/data/kept.csv', 'w').write(f'kept\\n{kept}\\n')")],
        },
        { kind: "reply", content: "Saved kept.csv." },
      );
      const sent = await h.driver.reply(thread, "save it as a CSV");
      expect(await h.driver.waitForReply(sent)).toBe("done");
      const view = h.driver.view(thread);
      const csv = view.files.filter((file) => file.name === "kept.csv");
      expect(csv.map((file) => file.data.toString())).toEqual([`kept\n${value}\n`]);
      expect(view.texts.filter((text) => text === "Saved kept.csv.")).toHaveLength(1);
      const tries =
        step === "upload URL"
          ? h.slack.uploadPosts.slice(posts).map((post) => post.status)
          : h.slack.calls
              .slice(calls)
              .filter((call) => call.method === step)
              .map((call) => call.status);
      expect(tries).toEqual([429, 200]);
    },
  );

  it("finishes a run while Socket Mode is down, and answers the next message after the reconnect", async () => {
    const value = nextKept();
    const { thread } = await threadWithVariable(chat, value);
    const connections = h.slack.socketConnections();
    const run = await runHeldHalfWay(chat, thread);
    h.slack.holdConnections();
    h.slack.dropSockets();
    await until("the Socket Mode connection to close", () =>
      h.slack.openSockets() === 0 ? true : undefined,
    );
    run.release();
    // Replies go over the Web API: the answer is completed while no events can come in.
    expect(await h.driver.waitForReply(run.sent)).toBe("done");
    expect(h.slack.openSockets()).toBe(0);
    expect(run.answers()).toEqual([ANSWER]);
    h.slack.releaseConnections();
    await h.slack.waitForSocket(connections + 1, 30_000);
    await expectSessionSurvives(chat, thread, value);
  });
});

describe("Discord", () => {
  let sandbox: TestSandbox;
  let h: DiscordHarness;
  let chat: FaultChat;
  beforeAll(async () => {
    sandbox = await faultSandbox();
    h = await createDiscordHarness({ sandbox: sandbox.manager });
    chat = { driver: h.driver, model: h.bot.fake };
  }, 900_000);
  afterAll(async () => {
    await h?.close();
    await sandbox?.cleanup();
  });

  it("finishes a run while the gateway is closed, and answers the next message after the resume", async () => {
    const value = nextKept();
    const { thread } = await threadWithVariable(chat, value);
    const resumes = h.discord.resumes.length;
    const run = await runHeldHalfWay(chat, thread);
    h.discord.holdConnections();
    // 4000, "unknown error": Discord's close after which a client resumes its session.
    h.discord.dropConnection({ code: 4000 });
    await h.discord.waitFor(() => h.discord.connections.every((c) => c.closed_at !== undefined), {
      description: "the gateway connection to close",
    });
    run.release();
    // Replies go over REST: the answer is completed while no events can come in.
    expect(await h.driver.waitForReply(run.sent)).toBe("done");
    expect(h.discord.connections.every((c) => c.closed_at !== undefined)).toBe(true);
    expect(run.answers()).toEqual([ANSWER]);
    h.discord.releaseConnections();
    await h.discord.waitFor(() => h.discord.resumes.length > resumes, {
      timeoutMs: 30_000,
      description: "discord.js to resume its session",
    });
    await expectSessionSurvives(chat, thread, value);
  });
});
