/**
 * Slack on `@slack/bolt`: Socket Mode when an app token is set (no public URL needed), signed
 * HTTP events otherwise. Events are acknowledged at once and handled after; each message's
 * reply goes into its thread through the shared ReplyPresenter on a SlackSurface.
 */
import { type AllMiddlewareArgs, App, type SlackCommandMiddlewareArgs } from "@slack/bolt";
import type { ChatAdapter, MessageHandler, ReopenedReply } from "../../src/bot/adapter.ts";
import type { Attachment, IncomingMessage } from "../../src/bot/incoming-message.ts";
import { type PlatformObserver, tellPlatformObservers } from "../../src/bot/platform-observer.ts";
import { answersPrivately, privateAnswer } from "../../src/bot/private-answer.ts";
import { HELP_TEXT } from "../../src/bot/user-messages.ts";
import type { Logger } from "../../src/logger.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import type { ShownStatus } from "../../src/present/surface.ts";
import { newRequestId, withRequestId } from "../../src/request-context.ts";
import type { ReplyAddress } from "../../src/store/types.ts";
import { boltLogger } from "./bolt-logger.ts";
import { codeBlock, escapeMrkdwn, markdownToMrkdwn, SLACK_FORMATTING } from "./format.ts";
import {
  DM_MAIN_THREAD,
  type ParsedSlackMessage,
  parseSlackEvent,
  parseSlashCommand,
  refusalTarget,
  type SlackFileRef,
  type SlackIdentity,
} from "./parse.ts";
import type { SlackConfig } from "./slack-config.ts";
import { downloadSlackFile } from "./slack-files.ts";
import { slackErrorKind, socketModeConnection, watchSlackClient } from "./slack-signals.ts";
import { replyTargetOf, type SlackReplyTarget, SlackSurface } from "./slack-surface.ts";

export interface SlackAdapterOptions {
  config: SlackConfig;
  logger: Logger;
  /** How often the progress message may be edited while text streams. */
  progressIntervalMs?: number;
}

export class SlackAdapter implements ChatAdapter {
  readonly platform = "slack";
  private app: App | null = null;
  private identity: SlackIdentity | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly observers: PlatformObserver[] = [];
  /** Null in HTTP mode, where a started app is a listening one. */
  private socket: { connected(): boolean } | null = null;

  constructor(private readonly options: SlackAdapterOptions) {}

  observe(observer: PlatformObserver): void {
    this.observers.push(observer);
  }

  ready(): boolean {
    return this.app !== null && (this.socket?.connected() ?? true);
  }

  async start(handler: MessageHandler): Promise<void> {
    const { config, logger } = this.options;
    const app = new App({
      token: config.botToken,
      ...(config.appToken
        ? { appToken: config.appToken, socketMode: true }
        : { signingSecret: config.signingSecret ?? "", port: config.port }),
      // A Slack call that hangs must not hold a reply forever; the WebClient retries failures itself.
      clientOptions: { slackApiUrl: config.apiUrl, timeout: 30_000 },
      logger: boltLogger(logger.child({ component: "bolt" })),
    });
    const auth = await app.client.auth.test();
    this.identity = {
      botName: typeof auth.user === "string" ? auth.user : "bot",
      botUserId: String(auth.user_id ?? ""),
      botId: typeof auth.bot_id === "string" ? auth.bot_id : null,
      teamId: String(auth.team_id ?? ""),
      ignoreOtherBots: config.ignoreOtherBots,
    };
    // Each event starts a request whose id every log line about it carries (src/request-context.ts).
    app.event("app_mention", async ({ event, body }) =>
      withRequestId(newRequestId(), () => this.onEvent(handler, event, body)),
    );
    app.event("message", async ({ event, body }) =>
      withRequestId(newRequestId(), () => this.onEvent(handler, event, body)),
    );
    app.command(config.slashCommand, async (args) =>
      withRequestId(newRequestId(), () => this.onCommand(handler, args)),
    );
    app.error(async (error) => {
      logger.error({ err: error }, "Slack listener failed");
    });
    watchSlackClient(app, (what) => this.tell(what));
    this.socket = socketModeConnection(app);
    await (config.appToken ? app.start() : app.start(config.port));
    this.app = app;
    logger.info(
      { mode: config.appToken ? "socket" : "http", botUserId: this.identity.botUserId },
      "Slack adapter started",
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.app?.stop();
    this.app = null;
  }

  private async onEvent(handler: MessageHandler, event: unknown, body: unknown): Promise<void> {
    if (!this.identity) return;
    const teamId =
      typeof (body as { team_id?: unknown }).team_id === "string"
        ? (body as { team_id: string }).team_id
        : null;
    const parsed = parseSlackEvent(event, teamId, this.identity);
    if (!parsed) return;
    this.options.logger.debug(
      { delivery: parsed.deliveryId, user: parsed.userId, channel: parsed.channel },
      "Slack message received",
    );
    const incoming = toIncoming(parsed, (file) => this.attachment(file));
    // Asked before anything the channel would see: no reaction, no download, no thread.
    const access = handler.admit(incoming);
    if (!access.allowed) {
      // Only someone who spoke to the bot hears why; a reply in another thread was not for it.
      if (parsed.addressed) await this.refuse(refusalTarget(parsed), access.text);
      return;
    }
    const target: SlackReplyTarget = {
      channel: parsed.channel,
      threadTs: parsed.replyThreadTs,
      reactTo: parsed.messageTs,
    };
    this.dispatch(handler, incoming, target);
  }

  private tell(what: (observer: PlatformObserver) => void): void {
    tellPlatformObservers(this.observers, this.options.logger, what);
  }

  private apiFailed(error: unknown): void {
    this.tell((o) => o.apiError({ platform: "slack", kind: slackErrorKind(error) }));
  }

  /** Tells only the author (an ephemeral message) that the bot is not theirs to use here. */
  private async refuse(
    target: { channel: string; user: string; thread_ts?: string },
    text: string,
  ): Promise<void> {
    try {
      await this.app?.client.chat.postEphemeral({ ...target, text });
    } catch (error) {
      this.options.logger.warn({ err: error, channel: target.channel }, "could not send an access refusal");
      this.apiFailed(error);
    }
  }

  private async onCommand(
    handler: MessageHandler,
    { ack, body, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs,
  ): Promise<void> {
    await ack();
    const parsed = parseSlashCommand(body);
    if (!parsed) return;
    const isDm = parsed.place === "direct";
    const access = handler.admit({
      // The thread does not exist yet; the rules look at the workspace and the channel only.
      conversation: {
        platform: "slack",
        workspace: parsed.teamId,
        channel: parsed.channel,
        thread: isDm ? DM_MAIN_THREAD : "new",
      },
      author: { id: parsed.userId },
      place: parsed.place,
    });
    if (!access.allowed) {
      await respond({ response_type: "ephemeral", text: access.text });
      return;
    }
    if (parsed.command === "help") {
      await respond({ response_type: "ephemeral", text: markdownToMrkdwn(HELP_TEXT) });
      return;
    }
    const deliveryId = `command:${String((body as { trigger_id?: unknown }).trigger_id ?? Date.now())}`;
    // The command as the core sees it, in the conversation `thread` of this channel.
    const commandMessage = (thread: string): IncomingMessage => ({
      deliveryId,
      conversation: { platform: "slack", workspace: parsed.teamId, channel: parsed.channel, thread },
      author: { id: parsed.userId },
      place: parsed.place,
      text: parsed.text,
      attachments: [],
      addressed: true,
      ...(parsed.command ? { command: parsed.command } : {}),
    });
    if (answersPrivately(parsed.command)) {
      // `usage` and `status` need no thread: the answer is for the person who asked, only.
      const answer = await privateAnswer(handler, commandMessage("command"), SLACK_FORMATTING);
      if (answer) await respond({ response_type: "ephemeral", text: markdownToMrkdwn(answer) });
      return;
    }
    if (parsed.command && !isDm) {
      const what = parsed.command === "reset" ? "start that thread over" : "list that thread's files";
      await respond({
        response_type: "ephemeral",
        text:
          `Each ${this.options.config.slashCommand} starts a fresh session in its own thread, so there is nothing to ` +
          `${parsed.command} here. To ${what}, mention me in the thread: \`@${this.botName()} ${parsed.command}\`.`,
      });
      return;
    }
    let thread = DM_MAIN_THREAD;
    let threadTs: string | null = null;
    if (!isDm) {
      // The command's own message becomes the root of the thread the run continues in.
      const shown = parsed.isCode
        ? (codeBlock(parsed.text, 2_800) ?? "(long code)")
        : `> ${escapeMrkdwn(parsed.text).replaceAll("\n", "\n> ")}`;
      const root = await client.chat.postMessage({
        channel: parsed.channel,
        text: `<@${parsed.userId}> used ${this.options.config.slashCommand}:\n${shown}`,
      });
      threadTs = typeof root.ts === "string" ? root.ts : null;
      if (!threadTs) return;
      thread = threadTs;
    }
    const incoming = { ...commandMessage(thread), ...(parsed.isCode ? { forceDirectRun: true } : {}) };
    this.dispatch(handler, incoming, { channel: parsed.channel, threadTs, reactTo: threadTs });
  }

  /** Runs the request in the background: Slack wants its acknowledgement within 3 s. */
  private dispatch(handler: MessageHandler, incoming: IncomingMessage, target: SlackReplyTarget): void {
    const presenter = this.presenter(target, null);
    if (!presenter) return;
    const run = handler
      .handle({ ...incoming, replyAddress: { ...target } }, presenter.sink, SLACK_FORMATTING)
      .then(() => presenter.flushed())
      .catch((error: unknown) => this.options.logger.error({ err: error }, "Slack message handling failed"))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  async reopen(address: ReplyAddress, shown: ShownStatus | null): Promise<ReopenedReply | null> {
    const target = replyTargetOf(address);
    const presenter = target ? this.presenter(target, shown) : null;
    if (!presenter) return null;
    return { sink: presenter.sink, formatting: SLACK_FORMATTING, flushed: () => presenter.flushed() };
  }

  private presenter(target: SlackReplyTarget, shown: ShownStatus | null): ReplyPresenter | null {
    if (!this.app) return null;
    const logger = this.options.logger.child({ channel: target.channel });
    return new ReplyPresenter(new SlackSurface(this.app.client, target, logger, shown), {
      progressIntervalMs: this.options.progressIntervalMs ?? 1_000,
      logger,
      onPlatformError: (error) => this.apiFailed(error),
    });
  }

  private botName(): string {
    return this.identity?.botName ?? "bot";
  }

  private attachment(file: SlackFileRef): Attachment {
    const { config } = this.options;
    return {
      name: file.name,
      mimeType: file.mimeType,
      size: file.size,
      fetch: (maxBytes, signal) =>
        downloadSlackFile(file.url, {
          token: config.botToken,
          apiUrl: config.apiUrl,
          maxBytes,
          expectedMime: file.mimeType,
          ...(signal ? { signal } : {}),
        }),
    };
  }
}

function toIncoming(
  parsed: ParsedSlackMessage,
  attachment: (file: SlackFileRef) => Attachment,
): IncomingMessage {
  return {
    deliveryId: parsed.deliveryId,
    conversation: parsed.conversation,
    author: { id: parsed.userId },
    place: parsed.place,
    text: parsed.text,
    attachments: parsed.files.map(attachment),
    addressed: parsed.addressed,
    ...(parsed.command ? { command: parsed.command } : {}),
  };
}
