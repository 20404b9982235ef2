/**
 * The Slack adapter on the real Bolt, against the fake Slack (Web API, Socket Mode, signed
 * HTTP) and the fake OpenAI server, with the real sandbox (or a given one, such as the
 * scripted FakeSandbox): what a workspace would see.
 */
import { SlackAdapter } from "../../adapters/slack/slack-adapter.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import type { Sandbox } from "../../src/sandbox/sandbox.ts";
import type { ContractDriver, SentMessage, ThreadView } from "../contract/adapter-contract.ts";
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from "../fakes/slack/fake-slack.ts";
import { type BotHarness, createBotHarness } from "./bot-harness.ts";
import { freePort } from "./free-port.ts";

export { freePort };

export interface SlackHarness {
  slack: FakeSlack;
  bot: BotHarness;
  adapter: SlackAdapter;
  driver: SlackDriver;
  /** The HTTP mode URL (`/slack/events`), when started in HTTP mode. */
  eventsUrl: string | null;
  close(): Promise<void>;
}

export async function createSlackHarness(
  options: {
    mode?: "socket" | "http";
    env?: Record<string, string>;
    /** Runs on this sandbox instead of a fresh Docker one. */
    sandbox?: Sandbox;
    /** Where the adapter and the bot log; silent by default. */
    logger?: Logger;
    /** The fake's tokens and signing secret (the bot is given the same). */
    secrets?: Pick<FakeSlackOptions, "botToken" | "appToken" | "signingSecret">;
    /** The OpenAI key the fake model server expects and the bot is given. */
    apiKey?: string;
  } = {},
): Promise<SlackHarness> {
  const slack = await startFakeSlack(options.secrets ?? {});
  const bot = await createBotHarness({ MAX_ATTACHMENT_MB: "1", ...options.env }, true, {
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  const port = await freePort();
  const http = options.mode === "http";
  const adapter = new SlackAdapter({
    config: {
      botToken: slack.botToken,
      appToken: http ? null : slack.appToken,
      signingSecret: http ? slack.signingSecret : null,
      apiUrl: slack.apiUrl,
      port,
      slashCommand: "/python",
      ignoreOtherBots: true,
    },
    logger: options.logger?.child({ platform: "slack" }) ?? silentLogger(),
    progressIntervalMs: 200,
  });
  await adapter.start(bot.bot);
  if (!http) await slack.waitForSocket();
  const harness: SlackHarness = {
    slack,
    bot,
    adapter,
    driver: new SlackDriver(slack),
    eventsUrl: http ? `http://127.0.0.1:${port}/slack/events` : null,
    async close() {
      await adapter.stop();
      await bot.close();
      await slack.close();
    },
  };
  return harness;
}

type Upload = { name: string; data: Buffer; mimeType: string };

let clock = 1_800_000_000;

function nextTs(): string {
  clock += 1;
  return `${clock}.000100`;
}

/** Plays a Slack user through Socket Mode events, and reads what the bot posted in the fake. */
export class SlackDriver implements ContractDriver {
  private readonly events = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly slack: FakeSlack,
    readonly channel = "C0GENERAL",
  ) {}

  /** A user mentions the bot in the channel: a new thread rooted at the message. */
  async startThread(text: string, attachments: Upload[] = []): Promise<SentMessage> {
    const ts = nextTs();
    const event = {
      type: "app_mention",
      text: `<@${this.slack.botUserId}> ${text}`,
      channel: this.channel,
      event_ts: ts,
    };
    return this.send({ ...event, ...this.userMessage(ts, attachments) }, ts);
  }

  async reply(thread: string, text: string): Promise<SentMessage> {
    const ts = nextTs();
    const event = {
      type: "message",
      text,
      thread_ts: thread,
      channel: this.channel,
      channel_type: "channel",
    };
    return this.send({ ...event, ...this.userMessage(ts, []) }, thread);
  }

  /** A direct message at the DM's top level; files make it a `file_share`, as in Slack. */
  async dm(text: string, attachments: Upload[] = []): Promise<SentMessage> {
    const ts = nextTs();
    const common = this.userMessage(ts, attachments);
    const event = { type: "message", text, channel: "D0ALICE", channel_type: "im" };
    return this.send({ ...event, ...common, ...("files" in common ? { subtype: "file_share" } : {}) }, "dm");
  }

  /** Fields every user message has, with its attachments hosted on the fake behind the bot token. */
  private userMessage(ts: string, attachments: Upload[]): { user: string; ts: string; files?: object[] } {
    const files = attachments.map((a) => this.slack.hostFile(a.name, a.data, a.mimeType));
    return { user: "U0ALICE", ts, ...(files.length ? { files } : {}) };
  }

  async redeliver(message: SentMessage): Promise<void> {
    const event = this.events.get(message.messageId);
    if (event) await this.slack.sendEvent(event, { retryAttempt: 1 });
  }

  async waitForReply(message: SentMessage, timeoutMs = 60_000): Promise<"done" | "failed"> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const marks = this.slack.reactions.filter((r) => r.timestamp === message.messageId && !r.removed);
      if (marks.some((r) => r.name === "white_check_mark")) return "done";
      if (marks.some((r) => r.name === "x")) return "failed";
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no finished reply to ${message.messageId} within ${timeoutMs} ms`);
  }

  view(thread: string): ThreadView {
    const inThread = (channel: string, threadTs: string | undefined) =>
      thread === "dm" ? channel === "D0ALICE" && threadTs === undefined : threadTs === thread;
    const messages = this.slack.messages.filter((m) => inThread(m.channel, m.thread_ts));
    const uploads = this.slack.uploads.filter((u) => inThread(u.channel_id, u.thread_ts));
    return {
      texts: messages.map((m) => m.text ?? ""),
      images: uploads.filter((u) => u.filename.endsWith(".png")).map((u) => u.bytes),
      files: uploads.map((u) => ({ name: u.filename, data: u.bytes })),
    };
  }

  private async send(event: Record<string, unknown> & { ts: string }, thread: string): Promise<SentMessage> {
    const messageId = String(event.ts);
    this.events.set(messageId, event);
    const { acked } = await this.slack.sendEvent(event);
    if (!acked) throw new Error("the adapter did not acknowledge the event");
    return { thread, messageId };
  }
}
