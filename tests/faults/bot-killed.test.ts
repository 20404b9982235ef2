/**
 * The bot process killed with SIGKILL in the middle of requests, and started again on the same
 * DATA_DIR: every request it had taken on is answered in its own thread, the running ones and
 * the one waiting behind them alike, on Slack and Discord; the status marks are replaced; and
 * the conversation goes on with the variables it had, since its sandbox outlived the bot.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostView } from "../../adapters/web/web-render.ts";
import { RESTARTED_WHILE_RUNNING, RESTARTED_WHILE_WAITING } from "../../src/bot/interrupted-requests.ts";
import { FakeDiscord } from "../fakes/discord/fake-discord.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack/fake-slack.ts";
import { type BotProcess, exitOf, fakePlatformsEnv, startBotProcess } from "../helpers/bot-process.ts";
import { createTestSandbox, sandboxImage } from "../helpers/sandbox.ts";
import { freePort } from "../helpers/slack-harness.ts";
import { waitUntil } from "../helpers/wait-until.ts";
import { visibleText, WebClient } from "../helpers/web-harness.ts";

const SCOPE = `faults-killed-${process.pid}`;
const ROOT_TS = "1950000000.000100";
/**
 * Runs past the 120 s time limit: only the restarted bot's adoption of the container, which stops
 * a run nobody is left to read, lets the conversation's next message run within the test's wait.
 */
const SLOW_RUN = "```python\nimport time\nx += 1\ntime.sleep(600)\n```";
let slack: FakeSlack;
let discord: FakeDiscord;
let dataDir: string;

beforeAll(async () => {
  await sandboxImage();
  slack = await startFakeSlack();
  discord = await FakeDiscord.start({ heartbeatIntervalMs: 1_000 });
  dataDir = await mkdtemp(path.join(tmpdir(), "cib-killed-"));
}, 900_000);

afterAll(async () => {
  await slack?.close();
  await discord?.close();
  // The killed bot leaves its sandboxes running, as it would in production: remove this test's.
  const sandbox = await createTestSandbox({}, SCOPE);
  await sandbox.cleanup();
});

function startBot(): BotProcess {
  return startBotProcess(
    {
      ...fakePlatformsEnv(slack, discord),
      SANDBOX_SCOPE: SCOPE,
      SANDBOX_POOL_SIZE: "0",
      LOG_LEVEL: "warn",
    },
    dataDir,
  );
}

function slackThread(): string {
  return slack.messages
    .filter((m) => m.thread_ts === ROOT_TS)
    .map((m) => m.text)
    .join("\n");
}

function slackMark(ts: string, name: string): "on" | "removed" | "never" {
  const reaction = slack.reactions.find((r) => r.timestamp === ts && r.name === name);
  return reaction ? (reaction.removed ? "removed" : "on") : "never";
}

async function mention(ts: string, code: string): Promise<void> {
  const text = `<@${slack.botUserId}> ${code}`;
  await slack.sendEvent({
    type: "app_mention",
    user: "U0ALICE",
    text,
    ts,
    thread_ts: ROOT_TS,
    channel: "C0GENERAL",
  });
}

describe("the bot killed mid-run", () => {
  it("answers every request it had taken on after the restart, and the conversation goes on", async () => {
    const first = startBot();
    let discordMention = "";
    try {
      await slack.waitForSocket(1, 60_000);
      await slack.sendEvent({
        type: "app_mention",
        user: "U0ALICE",
        text: `<@${slack.botUserId}> \`\`\`python\nx = 40\nprint("set")\n\`\`\``,
        ts: ROOT_TS,
        channel: "C0GENERAL",
      });
      await waitUntil("the first run", () => slackMark(ROOT_TS, "white_check_mark") === "on");
      // One request running, one waiting behind it in the same thread.
      const running = slack.nextTs();
      await mention(running, SLOW_RUN);
      await waitUntil("the slow run to start", () => slackThread().includes("time.sleep(600)"));
      const waiting = slack.nextTs();
      await mention(waiting, "```python\nprint('never ran')\n```");
      await waitUntil("the queued mark", () => slackMark(waiting, "hourglass_flowing_sand") === "on");
      // And one running on Discord, in a thread of its own.
      await discord.waitFor(() => discord.registeredCommands.guilds[discord.guild.id]?.length, {
        timeoutMs: 60_000,
      });
      discordMention = discord.userMessage({
        content: SLOW_RUN.replace("x += 1", "y = 1"),
        mentionsBot: true,
      }).id;
      await discord.waitFor(
        () => discord.messagesIn(discordMention).some((m) => m.content.includes("time.sleep(600)")),
        { timeoutMs: 60_000 },
      );

      first.kill("SIGKILL");
      expect(await exitOf(first)).toBe("SIGKILL");
      expect(slackThread()).not.toContain("restarted");

      const second = startBot();
      try {
        await waitUntil("the running request's answer", () =>
          slackThread().includes(RESTARTED_WHILE_RUNNING),
        );
        await waitUntil("the waiting request's answer", () =>
          slackThread().includes(RESTARTED_WHILE_WAITING),
        );
        await waitUntil(
          "the marks",
          () => slackMark(running, "x") === "on" && slackMark(waiting, "x") === "on",
        );
        expect(slackMark(running, "eyes")).toBe("removed");
        expect(slackMark(waiting, "hourglass_flowing_sand")).toBe("removed");
        await discord.waitFor(
          () =>
            discord
              .messagesIn(discordMention)
              .some((m) => m.content.includes("I was restarted while working")),
          { timeoutMs: 60_000 },
        );
        await discord.waitFor(
          () => discord.reactions.find((r) => r.message_id === discordMention && r.emoji === "❌"),
          {
            timeoutMs: 10_000,
          },
        );
        const discordEyes = discord.reactions.find(
          (r) => r.message_id === discordMention && r.emoji === "👀",
        );
        expect(discordEyes?.removed).toBe(true);
        // Answered once each, and the thread goes on: x is still there (41 if the killed run got that far).
        expect(slackThread().split(RESTARTED_WHILE_RUNNING)).toHaveLength(2);
        const next = slack.nextTs();
        await mention(next, "```python\nprint('x is', x)\n```");
        await waitUntil("the next run", () => slackMark(next, "white_check_mark") === "on", 90_000);
        expect(slackThread()).toMatch(/x is 4[01]/);
      } finally {
        second.kill("SIGTERM");
        await exitOf(second);
      }
    } finally {
      first.kill("SIGKILL");
    }
  }, 300_000);

  it("answers the web chat's request in its conversation after the restart", async () => {
    const port = String(await freePort());
    const webDataDir = await mkdtemp(path.join(tmpdir(), "cib-killed-web-"));
    const env = { WEB_PORT: port, SANDBOX_SCOPE: SCOPE, SANDBOX_POOL_SIZE: "0", LOG_LEVEL: "warn" };
    const client = new WebClient(`http://127.0.0.1:${port}`, null);
    const first = startBotProcess(env, webDataDir);
    try {
      await waitUntil("the web chat", () =>
        client.fetch("/api/info").then(
          (r) => r.ok,
          () => false,
        ),
      );
      const conversation = await client.createConversation();
      const posts = async () =>
        (await client.json<{ posts: PostView[] }>(`/api/conversations/${conversation}`)).posts;
      const statusOf = async (id: string) => (await posts()).find((post) => post.id === id)?.status;
      const send = async (text: string) =>
        ((await (await client.send(conversation, text)).json()) as { post: { id: string } }).post;
      const set = await send("```python\nx = 40\n```");
      await waitUntil("the first run", async () => (await statusOf(set.id)) === "done");
      const post = await send(SLOW_RUN);
      await waitUntil("the slow run to start", async () => (await statusOf(post.id)) === "working");
      first.kill("SIGKILL");
      await exitOf(first);
      const second = startBotProcess(env, webDataDir);
      try {
        // Until the new process listens, the page's requests fail: it is starting.
        const restarted = () =>
          statusOf(post.id).then(
            (status) => status === "failed",
            () => false,
          );
        await waitUntil("the restart's answer", restarted);
        const said = (await posts()).filter((p) => p.role === "bot").map((p) => visibleText(p.html));
        expect(said.join("\n")).toContain(RESTARTED_WHILE_RUNNING);
        const next = await send("```python\nprint('x is', x)\n```");
        await waitUntil("the next run", async () => (await statusOf(next.id)) === "done", 90_000);
        const after = (await posts()).filter((p) => p.role === "bot").map((p) => visibleText(p.html));
        expect(after.join("\n")).toMatch(/x is 4[01]/);
      } finally {
        second.kill("SIGTERM");
        await exitOf(second);
      }
    } finally {
      first.kill("SIGKILL");
    }
  }, 300_000);
});
