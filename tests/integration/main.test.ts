import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationKeyString } from "../../src/bot/incoming-message.ts";
import { FakeDiscord } from "../fakes/discord/fake-discord.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack/fake-slack.ts";
import {
  type BotProcess,
  fakePlatformsEnv,
  runBotUntilExit,
  startBotProcess,
} from "../helpers/bot-process.ts";
import { createTestSandbox, sandboxImage } from "../helpers/sandbox.ts";
import { freePort } from "../helpers/slack-harness.ts";
import { WebClient, WebDriver } from "../helpers/web-harness.ts";

const TS = "1950000000.000100";
/** Matches src/main.ts; not imported, since importing main would start the bot. */
const BOT_SCOPE = "bot";
let slack: FakeSlack;
let discord: FakeDiscord;
let discordMessageId = "";
let webConversation = "";

beforeAll(async () => {
  await sandboxImage();
  slack = await startFakeSlack();
  discord = await FakeDiscord.start({ heartbeatIntervalMs: 1_000 });
}, 900_000);

afterAll(async () => {
  await slack?.close();
  await discord?.close();
  // The bot leaves sandboxes running for the next start to adopt; remove only this test's one.
  const { manager } = await createTestSandbox({}, BOT_SCOPE);
  await manager.close(
    conversationKeyString({ platform: "slack", workspace: "T0001", channel: "C0GENERAL", thread: TS }),
  );
  if (webConversation) {
    await manager.close(
      conversationKeyString({ platform: "web", workspace: "local", channel: "web", thread: webConversation }),
    );
  }
  if (discordMessageId) {
    await manager.close(
      conversationKeyString({
        platform: "discord",
        workspace: discord.guild.id,
        channel: discord.channel.id,
        thread: discordMessageId,
      }),
    );
  }
});

/** `npm start` as a separate process, with only the given settings (and a fresh DATA_DIR). */
async function startMain(env: Record<string, string>): Promise<BotProcess> {
  return startBotProcess(env, await mkdtemp(path.join(tmpdir(), "cib-main-")));
}

describe("npm start (src/main.ts)", () => {
  it("starts Slack and Discord side by side from their tokens, answers both, and stops cleanly on SIGTERM", async () => {
    const child = await startMain({
      ...fakePlatformsEnv(slack, discord),
      LOG_LEVEL: "warn",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await slack.waitForSocket(1, 60_000);
      const ts = TS;
      await slack.sendEvent({
        type: "app_mention",
        user: "U0ALICE",
        text: `<@${slack.botUserId}> \`\`\`python\nprint(6 * 7)\n\`\`\``,
        ts,
        channel: "C0GENERAL",
      });
      const deadline = Date.now() + 60_000;
      while (
        !slack.reactions.some((r) => r.timestamp === ts && r.name === "white_check_mark") &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const thread = slack.messages.filter((m) => m.thread_ts === ts).map((m) => m.text);
      expect(thread.join("\n")).toContain("42");
      // Discord, in the same process: its commands registered, a mention answered in a thread.
      await discord.waitFor(() => discord.registeredCommands.guilds[discord.guild.id]?.length, {
        timeoutMs: 60_000,
      });
      const mention = discord.userMessage({ content: "```python\nprint(6 * 9)\n```", mentionsBot: true });
      discordMessageId = mention.id;
      await discord.waitFor(
        () => discord.reactions.find((r) => r.message_id === mention.id && r.emoji === "✅"),
        {
          timeoutMs: 60_000,
        },
      );
      expect(
        discord
          .messagesIn(mention.id)
          .map((m) => m.content)
          .join("\n"),
      ).toContain("54");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it("starts the web chat when no chat platform is configured, prints its URL, runs code, and stops on SIGTERM", async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const child = await startMain({
      WEB_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "warn",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let stdout = "";
    const printed = new Promise<string>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /Web chat: (\S+)/.exec(stdout)?.[1];
        if (url) resolve(url);
      });
    });
    try {
      const url = await printed;
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
      // No model is configured: the page is told so, and code still runs.
      expect(await (await fetch(`${url}/api/info`)).json()).toMatchObject({ modelConfigured: false });
      const client = new WebClient(url, null);
      const driver = new WebDriver(client);
      const sent = await driver.startThread("```python\nprint(6 * 7)\n```");
      webConversation = sent.thread;
      expect(await driver.waitForReply(sent, 60_000)).toBe("done");
      expect(driver.view(sent.thread).texts.join("\n")).toContain("42");
      driver.close();
      // The operator's endpoint comes up with the bot, and has seen the run.
      const base = `http://127.0.0.1:${metricsPort}`;
      expect((await (await fetch(`${base}/healthz`)).text()).trim()).toBe("ok");
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/cib_code_runs_total\{[^}]*\} 1/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it("says what to set when every chat platform is off", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "cib-main-"));
    const { code, stderr } = await runBotUntilExit({ WEB_ENABLED: "false", DATA_DIR: dataDir });
    expect(code).toBe(78);
    expect(stderr).toContain("no chat platform is configured and WEB_ENABLED=false turns the web chat off");
  }, 120_000);
});
