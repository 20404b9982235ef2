/**
 * The web chat as a person uses it, in a real browser: headless Chromium (Debian's `chromium`,
 * driven by playwright-core, which downloads no browser of its own) on the page the bot serves
 * when `npm start` runs with no Slack or Discord settings. The bot is a separate process, as in
 * main.test.ts, on the fake OpenAI server and the real Docker sandbox. Every step waits for what
 * the page shows (an element, an attribute, a status), never for a fixed time.
 */
// The functions handed to `evaluate` run in the page, where the DOM's types apply.
/// <reference lib="dom" />
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationKey } from "../../adapters/web/web-adapter.ts";
import { conversationKeyString } from "../../src/bot/incoming-message.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { lastMessageText, pythonCall } from "../helpers/bot-harness.ts";
import { createTestSandbox, sandboxImage } from "../helpers/sandbox.ts";
import { freePort } from "../helpers/slack-harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SCREENSHOT = path.join(ROOT, "test-artifacts", "web-chat.png");
/** Matches src/main.ts; not imported, since importing main would start the bot. */
const BOT_SCOPE = "bot";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The first start of a conversation may wait for a sandbox container on a busy 2-core machine. */
const STEP_TIMEOUT_MS = 60_000;

const CSV = "region,sales\nnorth,120\nsouth,80\nnorth,30\n";
const QUESTION = "Plot total sales by region and save a summary CSV";
const ANSWER =
  "North sold **150** units and south sold 80, so north leads by 70. The chart compares both " +
  "regions, and summary.csv has the totals.";

/** Debian's chromium, or CHROMIUM_PATH; a missing browser fails the file with what to install. */
function chromiumExecutable(): string {
  const wanted = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(wanted)) {
    throw new Error(
      `The browser test needs Chromium, and there is none at ${wanted}. On Debian or Ubuntu: ` +
        "`sudo apt-get install chromium` (.ci/run does this), or set CHROMIUM_PATH to a Chromium or " +
        "Chrome executable.",
    );
  }
  return wanted;
}

type BotProcess = ChildProcessByStdio<null, Readable, Readable>;

/** `npm start` as a separate process, resolving with the web chat's printed address. */
async function startBot(env: Record<string, string>): Promise<{ child: BotProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const printed = /Web chat: (\S+)/.exec(stdout)?.[1];
      if (printed) resolve(printed);
    });
    // A bot that dies at start-up would otherwise leave the hook waiting for its whole timeout.
    child.once("exit", (code) =>
      reject(new Error(`the bot exited with ${code} before printing its address:\n${stderr.slice(-4000)}`)),
    );
  });
  return { child, url };
}

async function stopBot(child: BotProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  // main.ts gives running requests 30 s; past that something hangs, and the test must not.
  const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** How big the browser decoded an image: 0 by 0 when it could not. */
function decodedSize(image: Locator): Promise<{ width: number; height: number }> {
  return image.evaluate((node) => {
    const img = node as HTMLImageElement;
    return { width: img.naturalWidth, height: img.naturalHeight };
  });
}

/** An image's bytes as the page itself fetches them, under its Content-Security-Policy. */
async function fetchedBytes(image: Locator): Promise<Buffer> {
  const bytes = await image.evaluate(async (node) => {
    const response = await fetch((node as HTMLImageElement).src);
    return [...new Uint8Array(await response.arrayBuffer())];
  });
  return Buffer.from(bytes);
}

/** The user's message with this text. */
function userMessage(page: Page, text: string): Locator {
  return page.getByTestId("user-message").filter({ hasText: text });
}

/** The bot's posts answering the user's message with this text. */
async function repliesTo(page: Page, text: string): Promise<Locator> {
  const id = await userMessage(page, text).getAttribute("data-post-id");
  return page.locator(`[data-testid="reply-post"][data-reply-to="${id}"]`);
}

/** Sends a message the way a person does: type it, then press Send. */
async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId("message-input").fill(text);
  await page.getByTestId("send-button").click();
}

/** Resolves when the page marks the user's message answered; a failed reply fails at once. */
async function answered(page: Page, text: string): Promise<void> {
  const status = userMessage(page, text).getByTestId("message-status");
  const finished = status.and(page.locator('[data-status="done"], [data-status="failed"]'));
  await finished.waitFor();
  expect(await finished.getAttribute("data-status")).toBe("done");
}

/** The open conversation's id, as the sidebar marks it. */
async function currentConversation(page: Page): Promise<string> {
  const id = await page
    .locator('[data-testid="conversation-item"][aria-current="true"]')
    .getAttribute("data-conversation-id");
  if (!id) throw new Error("no conversation is marked as open in the sidebar");
  return id;
}

describe("web chat in a real browser (npm start, Chromium, Docker sandbox)", () => {
  let model: FakeOpenAI;
  let bot: BotProcess | undefined;
  let url = "";
  let dataDir = "";
  let browser: Browser | undefined;
  let page: Page;
  const conversations: string[] = [];
  /** Errors the page itself reported (script errors, CSP refusals, failed requests). */
  const pageErrors: string[] = [];
  let screenshotSaved = false;

  beforeAll(async () => {
    const executablePath = chromiumExecutable();
    await sandboxImage();
    model = await startFakeOpenAI();
    dataDir = await mkdtemp(path.join(tmpdir(), "cib-browser-"));
    const started = await startBot({
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
      DATA_DIR: dataDir,
      WEB_PORT: String(await freePort()),
      // Other bots may run beside this one (main.test.ts): no competing for the metrics port.
      METRICS_PORT: "0",
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseURL,
      OPENAI_MODEL: "fake-model",
      // A developer's .env is loaded too, but never over what is set here: empty tokens keep
      // its Slack or Discord settings from connecting this test to a real workspace.
      SLACK_BOT_TOKEN: "",
      SLACK_APP_TOKEN: "",
      DISCORD_TOKEN: "",
      LOG_LEVEL: "warn",
    });
    bot = started.child;
    url = started.url;
    browser = await chromium.launch({ executablePath });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("pageerror", (error) => pageErrors.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
    });
  }, 900_000);

  afterAll(async () => {
    // A failed run leaves its last screen behind too: that is what one looks at first.
    if (page && !screenshotSaved) {
      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page
        .screenshot({ path: SCREENSHOT.replace(/\.png$/, "-failed.png"), fullPage: true })
        .catch(() => undefined);
    }
    await browser?.close();
    if (bot) await stopBot(bot);
    await model?.close();
    // The bot leaves sandboxes running for its next start to adopt; remove this test's ones.
    const { manager } = await createTestSandbox({}, BOT_SCOPE);
    for (const id of conversations) await manager.close(conversationKeyString(conversationKey(id)));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  it("answers a question about an attached CSV with streamed text, a chart and a derived file", async () => {
    // The page wires its buttons up before it asks for the conversation list, so the list's
    // answer says a click will be heard; with no conversation yet, nothing on screen says so.
    const ready = page.waitForResponse(
      (response) => new URL(response.url()).pathname === "/api/conversations",
    );
    await page.goto(url);
    await ready;
    await page.getByTestId("new-conversation").click();
    conversations.push(await currentConversation(page));

    const code =
      "import pandas as pd\n" +
      "df = pd.read_csv('/mnt/data/sales.csv')\n" +
      "totals = df.groupby('region', as_index=False)['sales'].sum()\n" +
      "totals.to_csv('/mnt/data/summary.csv', index=False)\n" +
      "totals.plot.bar(x='region', y='sales', legend=False, title='Sales by region')\n" +
      "print(totals.to_string(index=False))";
    model.enqueue(
      { kind: "reply", content: "Let me read the file.", toolCalls: [pythonCall(code)] },
      // Slow enough that the page shows the answer growing before it is complete.
      { kind: "reply", content: ANSWER, chunkSize: 8, delayMsBetweenChunks: 60 },
    );
    await page
      .getByTestId("file-input")
      .setInputFiles({ name: "sales.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
    await page.getByTestId("chosen-file").filter({ hasText: "sales.csv" }).waitFor();
    await send(page, QUESTION);

    // The transcript as the reader sees it, sampled until the answer is complete.
    const seen: string[] = [];
    const transcript = page.getByTestId("posts");
    await expect
      .poll(
        async () => {
          const text = await transcript.innerText();
          seen.push(text);
          return text;
        },
        { timeout: STEP_TIMEOUT_MS, interval: 50 },
      )
      .toContain("summary.csv has the totals.");
    expect(
      seen.some((text) => text.includes("North sold") && !text.includes("has the totals.")),
      "the answer was shown while it was still streaming",
    ).toBe(true);
    await answered(page, QUESTION);
    const answer = page.getByTestId("reply-post").filter({ hasText: "North sold 150 units" });
    // Markdown is rendered (by the server), not shown as asterisks.
    await answer.locator("strong", { hasText: "150" }).waitFor();
    // The sandbox really ran pandas on the upload: the model was shown its output.
    expect(lastMessageText(model.requests.at(-1)?.messages ?? [])).toMatch(/north\s+150/);

    // The chart: decoded by the browser, and PNG bytes as the page fetches them.
    const image = page.getByTestId("reply-image");
    await image.waitFor();
    await expect.poll(async () => (await decodedSize(image)).width, { timeout: 10_000 }).toBeGreaterThan(0);
    const bytes = await fetchedBytes(image);
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const { width, height } = await decodedSize(image);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: "png", width, height });

    // The derived file, downloaded through its link as a person would.
    const link = page.getByTestId("reply-post").getByTestId("file-link").filter({ hasText: "summary.csv" });
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe("summary.csv");
    expect(await readFile(await download.path(), "utf8")).toBe("region,sales\nnorth,150\nsouth,80\n");
  }, 120_000);

  it("runs a ```python block without the model and shows its output", async () => {
    const requests = model.requests.length;
    const block = "```python\nx = 6 * 7\nprint(f'x is {x}')\n```";
    await send(page, block);
    await answered(page, "x = 6 * 7");
    const output = (await repliesTo(page, "x = 6 * 7")).getByTestId("run-output").locator("pre");
    expect((await output.innerText()).trim()).toBe("x is 42");
    expect(model.requests.length).toBe(requests);
  }, 60_000);

  it("finds the conversation and its posts again after a reload", async () => {
    await page.reload();
    const item = page.getByTestId("conversation-item").filter({ hasText: QUESTION });
    await item.waitFor();
    await item.click();
    expect(await currentConversation(page)).toBe(conversations[0]);
    await userMessage(page, QUESTION).getByTestId("file-link").filter({ hasText: "sales.csv" }).waitFor();
    await page.getByTestId("reply-post").filter({ hasText: "North sold 150 units" }).waitFor();
    await page.getByTestId("run-output").filter({ hasText: "x is 42" }).waitFor();
    await page
      .getByTestId("reply-post")
      .getByTestId("file-link")
      .filter({ hasText: "summary.csv" })
      .waitFor();
    const image = page.getByTestId("reply-image");
    await expect.poll(async () => (await decodedSize(image)).width, { timeout: 10_000 }).toBeGreaterThan(0);
  }, 60_000);

  it("stops a long run from the Stop button while it is running code", async () => {
    const block = "```python\nimport time; time.sleep(60)\n```";
    const startedAt = Date.now();
    await send(page, block);
    await page.locator('[data-testid="status-indicator"][data-state="running-code"]').waitFor();
    const stop = page.getByTestId("cancel-button");
    expect(await stop.isEnabled()).toBe(true);
    await stop.click();
    await answered(page, "time.sleep(60)");
    // The run's own status line (a regex: a plain string matches case-insensitively).
    await (await repliesTo(page, "time.sleep(60)")).filter({ hasText: /🚫 Cancelled\./ }).waitFor();
    await page.locator('[data-testid="status-indicator"][data-state="idle"]').waitFor({ state: "attached" });
    // Well short of the minute the code asked for: the run was stopped, not waited out.
    expect(Date.now() - startedAt).toBeLessThan(30_000);
  }, 60_000);

  it("gives a second conversation its own variables, and keeps the first one's", async () => {
    await page.getByTestId("new-conversation").click();
    await expect.poll(() => page.getByTestId("conversation-item").count()).toBe(2);
    conversations.push(await currentConversation(page));
    expect(conversations[1]).not.toBe(conversations[0]);
    const block = "```python\nprint(x)\n```";
    await send(page, block);
    await answered(page, "print(x)");
    const replies = await repliesTo(page, "print(x)");
    await replies.filter({ hasText: "NameError" }).filter({ hasText: "name 'x' is not defined" }).waitFor();

    // Back in the first conversation, x survived both the cancelled run and the other conversation.
    await page.getByTestId("conversation-item").filter({ hasText: QUESTION }).click();
    await userMessage(page, QUESTION).waitFor();
    await send(page, block);
    await expect.poll(() => userMessage(page, "print(x)").count()).toBe(1);
    await answered(page, "print(x)");
    const output = (await repliesTo(page, "print(x)")).getByTestId("run-output").locator("pre");
    expect((await output.innerText()).trim()).toBe("42");
  }, 60_000);

  it("saves a screenshot of the page, and the page reported no errors", async () => {
    // The chart is what a reviewer of the artifact wants to see rendered.
    await page.getByTestId("reply-image").scrollIntoViewIfNeeded();
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    screenshotSaved = true;
    expect((await readFile(SCREENSHOT)).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pageErrors).toEqual([]);
    expect(model.pending()).toBe(0);
  }, 30_000);
});
