/**
 * A Slack thread on the real bot and the real Docker sandbox, with its files kept in a folder
 * of its own (DATA_DIR/sessions in `npm start`), for the container fault tests: they talk to it
 * as a person would, break its container with Docker, and read back what the person was told.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, vi } from "vitest";
import { type ConversationKey, conversationKeyString } from "../../src/bot/incoming-message.ts";
import { keptFolderName } from "../../src/sandbox/kept-files.ts";
import type { SandboxLimits } from "../../src/sandbox/limits.ts";
import type { SentMessage } from "../contract/adapter-contract.ts";
import { collectingLogger } from "./collecting-logger.ts";
import { createTestSandbox, type TestSandbox } from "./sandbox.ts";
import { createSlackHarness, type SlackHarness } from "./slack-harness.ts";

export interface FaultBot {
  slack: SlackHarness;
  sandbox: TestSandbox;
  keptFilesDir: string;
  /** What the bot logged at info and above, as pino wrote it. */
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The bot on Slack, on a sandbox of its own scope whose files are kept, as `npm start` keeps them. */
export async function startFaultBot(limits: Partial<SandboxLimits> = {}): Promise<FaultBot> {
  const keptFilesDir = await mkdtemp(path.join(tmpdir(), "cib-faults-kept-"));
  const { logger, lines } = collectingLogger("info");
  const sandbox = await createTestSandbox(
    limits,
    `faults-${randomUUID().slice(0, 8)}`,
    logger.child({ component: "sandbox" }),
    { keptFilesDir },
  );
  const slack = await createSlackHarness({ sandbox: sandbox.manager, logger });
  return {
    slack,
    sandbox,
    keptFilesDir,
    logLines: lines,
    async close() {
      await slack.close();
      // Only this scope's containers: other tests share the engine.
      await sandbox.cleanup();
      await rm(keptFilesDir, { recursive: true, force: true });
    },
  };
}

/**
 * For a fault test file: when a test fails, what the bot logged during it goes to stderr, since
 * a fault that strikes only on a loaded CI machine is understood from its log or not at all.
 */
export function printBotLogOnFailure(bot: () => FaultBot | undefined): void {
  let seen = 0;
  afterEach(({ task }) => {
    const lines = bot()?.logLines ?? [];
    const during = lines.slice(seen);
    seen = lines.length;
    if (task.result?.state !== "fail") return;
    process.stderr.write(
      `--- what the bot logged during "${task.name}" ---\n${during.map((line) => JSON.stringify(line)).join("\n")}\n`,
    );
  });
}

/** One thread of the conversation, and what the person has been shown in it. */
export class FaultThread {
  private constructor(
    private readonly bot: FaultBot,
    readonly root: SentMessage,
  ) {}

  /** Starts a thread with a mention carrying `code` as a fenced block, and waits for its answer. */
  static async start(bot: FaultBot, code: string): Promise<FaultThread> {
    const root = await bot.slack.driver.startThread(fenced(code));
    expect(await bot.slack.driver.waitForReply(root)).toBe("done");
    return new FaultThread(bot, root);
  }

  get conversation(): ConversationKey {
    const { slack } = this.bot.slack;
    return { platform: "slack", workspace: slack.teamId, channel: "C0GENERAL", thread: this.root.thread };
  }

  get key(): string {
    return conversationKeyString(this.conversation);
  }

  /** Everything the bot has posted in the thread so far. */
  texts(): string[] {
    return this.bot.slack.driver.view(this.root.thread).texts;
  }

  /** Sends `code` as a reply in the thread; resolves once it is delivered, not answered. */
  send(code: string): Promise<SentMessage> {
    return this.bot.slack.driver.reply(this.root.thread, fenced(code));
  }

  /** The status mark of the answer to `message`, and the texts posted since `before` of them. */
  async answer(message: SentMessage, before: number): Promise<{ mark: string; texts: string[] }> {
    const mark = await this.bot.slack.driver.waitForReply(message, 90_000);
    return { mark, texts: this.texts().slice(before) };
  }

  /** Waits until the bot has copied `name` out of the sandbox into the kept files. */
  async waitUntilKept(name: string): Promise<void> {
    const manifest = path.join(
      this.bot.keptFilesDir,
      keptFolderName(`${this.bot.sandbox.scope}:${this.key}`),
      "manifest.json",
    );
    await vi.waitFor(
      async () => {
        const parsed = JSON.parse(await readFile(manifest, "utf8")) as { files: Record<string, unknown> };
        expect(Object.keys(parsed.files)).toContain(name);
      },
      { timeout: 30_000, interval: 50 },
    );
  }

  /** Waits until a file the running code writes shows in /mnt/data: the code is running now. */
  async waitForFileInSandbox(name: string): Promise<void> {
    await vi.waitFor(
      async () => {
        const files = await this.bot.slack.bot.bot.listFiles(this.conversation);
        expect(files.map((file) => file.path)).toContain(name);
      },
      { timeout: 60_000, interval: 50 },
    );
  }

  /** The Docker name of the thread's sandbox container. */
  async containerName(): Promise<string> {
    return (await this.bot.sandbox.manager.acquire(this.key)).location;
  }
}

function fenced(code: string): string {
  return `\`\`\`python\n${code}\n\`\`\``;
}
