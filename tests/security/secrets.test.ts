/**
 * Secrets stay secret: the bot runs ordinary and failing requests on Slack (Socket Mode and
 * signed HTTP), Discord and the web chat, with the real `openai` client against the fake model
 * server and a real Docker sandbox for the Slack runs, every token and key set to a distinctive
 * value, logging at trace level. Then no token or key (nor its base64) may be found in any log
 * line, the sandbox container's environment, `os.environ` inside it, any byte of the databases
 * and stored files, any reply the platforms received, or anything sent to the model.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { pythonCall } from "../helpers/bot-harness.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";
import { createDiscordHarness } from "../helpers/discord-harness.ts";
import { createTestSandbox, type TestSandbox, testDocker } from "../helpers/sandbox.ts";
import { type Secret, SecretScan } from "../helpers/secret-scan.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";
import { createWebHarness } from "../helpers/web-harness.ts";

function secret(name: string, prefix: string, core: string): Secret {
  return { name, value: `${prefix}${core}`, core };
}

const SLACK_BOT = secret("SLACK_BOT_TOKEN", "xoxb-1111-2222-", "SECRETslackbot7f3a9c41");
const SLACK_APP = secret("SLACK_APP_TOKEN", "xapp-1-A0FAKEAPP-3333-", "SECRETslackapp51d2e8b6");
const SIGNING = secret("SLACK_SIGNING_SECRET", "", "SECRETsigning0b6e4d2a9f");
const DISCORD = secret("DISCORD_TOKEN", "MTIzNDU2Nzg5.GhXy.", "SECRETdiscord3c9e1f0a7");
const OPENAI = secret("OPENAI_API_KEY", "sk-proj-", "SECRETopenai8d4b2c6e1");
const WEB = secret("WEB_TOKEN", "", "SECRETwebtoken9e7c5a3b");
const SECRETS = [SLACK_BOT, SLACK_APP, SIGNING, DISCORD, OPENAI, WEB];

/** What Python prints: its whole environment, then a failure, as a curious or hostile script would. */
const SHOW_ENVIRONMENT = "import os\nprint(dict(os.environ))\nraise RuntimeError('environment shown')";

const { logger, lines } = collectingLogger("trace");
const scan = new SecretScan(SECRETS);

beforeAll(() => {
  // Also in the bot's own environment, as `npm start` would have them: the sandbox must not inherit it.
  for (const each of SECRETS) vi.stubEnv(each.name, each.value);
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe("secrets", () => {
  let docker: TestSandbox;
  let slack: SlackHarness;

  beforeAll(async () => {
    docker = await createTestSandbox({}, undefined, logger.child({ component: "sandbox" }));
    slack = await createSlackHarness({
      sandbox: docker.manager,
      logger,
      secrets: { botToken: SLACK_BOT.value, appToken: SLACK_APP.value, signingSecret: SIGNING.value },
      apiKey: OPENAI.value,
    });
  }, 300_000);

  afterAll(async () => {
    await slack?.close();
    await docker?.cleanup();
  });

  it("stay out of a Docker sandbox, and of everything a Slack (Socket Mode) conversation leaves", async () => {
    const { fake } = slack.bot;
    fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall(SHOW_ENVIRONMENT)] },
      { kind: "reply", content: "Your environment is above." },
    );
    const shown = await slack.driver.startThread("show me your environment");
    expect(await slack.driver.waitForReply(shown)).toBe("done");
    // The run really printed an environment, so its absence of secrets means something.
    expect(JSON.stringify(slack.slack.messages)).toContain("PATH");

    const containers = await docker.manager.list();
    expect(containers.length).toBeGreaterThan(0);
    for (const container of containers) {
      const info = await testDocker().getContainer(container.id).inspect();
      scan.checkJson(`container ${container.name} Config.Env`, info.Config.Env);
      scan.checkJson(`container ${container.name} Config`, info.Config);
    }

    // The model refuses the key, then fails; the person is told, the key is not.
    fake.enqueue({
      kind: "error",
      status: 401,
      message: "Incorrect API key provided.",
      code: "invalid_api_key",
    });
    const refused = await slack.driver.startThread("hello");
    expect(await slack.driver.waitForReply(refused)).toBe("failed");
    fake.enqueue({ kind: "error", status: 500, message: "The server had an error", shouldRetry: false });
    const failed = await slack.driver.startThread("hello again");
    expect(await slack.driver.waitForReply(failed)).toBe("failed");

    // Slack refuses a post: the Web API client's error carries its request, token included.
    slack.slack.failNext("chat.postMessage", { error: "invalid_auth" });
    fake.enqueue({ kind: "reply", content: "Posted at the second try, or not at all." });
    const unposted = await slack.driver.startThread("and once more");
    await slack.driver.waitForReply(unposted);
    expect(lines.some((line) => JSON.stringify(line).includes("invalid_auth"))).toBe(true);

    // The bot did use the secrets, where they belong: Slack's and the model's Authorization headers.
    expect(slack.slack.calls.some((call) => call.token === SLACK_BOT.value)).toBe(true);
    expect(fake.requests.some((request) => request.headers.authorization === `Bearer ${OPENAI.value}`)).toBe(
      true,
    );
    scanSlack(slack, "slack (socket)");
    scan.checkJson(
      "model requests (bodies)",
      fake.requests.map((request) => request.body),
    );
    await scan.checkFiles("slack bot.sqlite", slack.bot.databasePath.replace(/\/bot\.sqlite$/, ""));
  });

  it("stay out of a Slack (HTTP mode) conversation, a forged request included", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("print(6 * 7)", () => ({ stdout: "42\n" }));
    const h = await createSlackHarness({
      mode: "http",
      sandbox,
      logger,
      secrets: { botToken: SLACK_BOT.value, appToken: SLACK_APP.value, signingSecret: SIGNING.value },
      apiKey: OPENAI.value,
    });
    try {
      h.bot.fake.enqueue(
        { kind: "reply", toolCalls: [pythonCall("print(6 * 7)")] },
        { kind: "reply", content: "It is 42." },
      );
      const ts = "1900000000.000100";
      const event = h.slack.eventCallback({
        type: "app_mention",
        user: "U0ALICE",
        text: `<@${h.slack.botUserId}> what is 6*7?`,
        ts,
        channel: "C0GENERAL",
      });
      const url = h.eventsUrl ?? "";
      expect((await h.slack.postSignedEvent(url, event, { badSignature: true })).status).toBe(401);
      expect((await h.slack.postSignedEvent(url, event)).status).toBe(200);
      expect(await h.driver.waitForReply({ thread: ts, messageId: ts })).toBe("done");
      expect(h.driver.view(ts).texts.join("\n")).toContain("It is 42.");
      scanSlack(h, "slack (http)");
      await scan.checkFiles("slack (http) bot.sqlite", h.bot.databasePath.replace(/\/bot\.sqlite$/, ""));
    } finally {
      await h.close();
    }
  });

  it("stay out of a Discord conversation, a failed model call included", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("print(6 * 7)", () => ({ stdout: "42\n" }));
    const h = await createDiscordHarness({ sandbox, logger, token: DISCORD.value, apiKey: OPENAI.value });
    try {
      h.bot.fake.enqueue(
        { kind: "reply", toolCalls: [pythonCall("print(6 * 7)")] },
        { kind: "reply", content: "It is 42." },
        { kind: "error", status: 500, message: "The server had an error", shouldRetry: false },
      );
      const asked = await h.driver.startThread("what is 6*7?");
      expect(await h.driver.waitForReply(asked)).toBe("done");
      const failed = await h.driver.startThread("and now?");
      expect(await h.driver.waitForReply(failed)).toBe("failed");
      scan.checkJson("discord messages", h.discord.messages);
      scan.checkJson(
        "discord REST bodies",
        h.discord.calls.map((call) => call.body),
      );
      await scan.checkFiles("discord bot.sqlite", h.bot.databasePath.replace(/\/bot\.sqlite$/, ""));
    } finally {
      await h.close();
    }
  });

  it("stay out of the web chat, its transcript and files, a wrong sign-in included", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("print(6 * 7)", () => ({ stdout: "42\n" }));
    const h = await createWebHarness({ sandbox, logger, token: WEB.value, apiKey: OPENAI.value });
    try {
      const wrong = await fetch(`${h.client.url}/api/conversations`, {
        headers: { authorization: `Bearer ${WEB.value}x` },
      });
      expect(wrong.status).toBe(401);
      h.bot.fake.enqueue(
        { kind: "reply", toolCalls: [pythonCall("print(6 * 7)")] },
        { kind: "reply", content: "It is 42." },
      );
      const asked = await h.driver.startThread("what is 6*7?");
      expect(await h.driver.waitForReply(asked)).toBe("done");
      expect(h.driver.view(asked.thread).texts.join("\n")).toContain("It is 42.");
      scan.checkJson("web replies", h.driver.view(asked.thread));
      scan.check("web transcript", await (await h.client.fetch(`/api/conversations/${asked.thread}`)).text());
      expect(await scan.checkFiles("web DATA_DIR", h.dataDir)).toBeGreaterThan(0);
      await scan.checkFiles("web bot.sqlite", h.bot.databasePath.replace(/\/bot\.sqlite$/, ""));
    } finally {
      await h.close();
    }
  });

  it("would be found by the scan in any of the forms it looks for", () => {
    const probe = new SecretScan(SECRETS);
    probe.check("a log line", `token=${SLACK_BOT.value}`);
    probe.check("a cut copy", `xoxb-…${SLACK_APP.core}`);
    probe.checkJson("a header", { authorization: `Basic ${Buffer.from(WEB.value).toString("base64")}` });
    probe.checkJson("an upload", { data: Buffer.from(`x${DISCORD.value}x`) });
    expect(probe.leaks).toEqual(
      expect.arrayContaining([
        "SLACK_BOT_TOKEN in a log line",
        "SLACK_APP_TOKEN (core) in a cut copy",
        "WEB_TOKEN as base64 in a header",
        "DISCORD_TOKEN in an upload",
      ]),
    );
    expect(probe.leaks.every((leak) => /^(SLACK_BOT|SLACK_APP|WEB|DISCORD)_TOKEN/.test(leak))).toBe(true);
  });

  it("appear in no log line at trace level", () => {
    expect(lines.length).toBeGreaterThan(100);
    for (const [index, line] of lines.entries())
      scan.checkJson(`log line ${index} (${String(line.msg)})`, line);
    expect(scan.scannedBytes).toBeGreaterThan(100_000);
    expect(scan.leaks).toEqual([]);
  });
});

function scanSlack(h: SlackHarness, where: string): void {
  const { slack } = h;
  scan.checkJson(`${where} messages`, slack.messages);
  scan.checkJson(`${where} uploads`, slack.uploads);
  scan.checkJson(`${where} ephemerals`, slack.ephemerals);
  // What the bot sent to Slack's Web API, without the token that authenticates it.
  scan.checkJson(
    `${where} Web API calls`,
    slack.calls.map((call) => ({ method: call.method, args: call.args })),
  );
}
