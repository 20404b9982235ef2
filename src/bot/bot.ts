/**
 * The platform-neutral core: an incoming message becomes a stream of reply events. It
 * deduplicates deliveries, runs one request per conversation at a time, copies attachments
 * into the sandbox, and routes to a direct run, a command or the agent. Every failure ends
 * as a specific message in the thread; the session and its files survive it.
 */
import { randomUUID } from "node:crypto";
import { type AccessDecision, type AccessGate, OPEN_ACCESS } from "../access/access-decision.ts";
import { Agent } from "../agent/agent.ts";
import type { ChatModel } from "../agent/model-client.ts";
import type { AgentConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { ChatFormatting } from "../present/chat-formatting.ts";
import type { ReplySink } from "../present/reply-events.ts";
import { inRequest } from "../request-context.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { SandboxFile } from "../sandbox/types.ts";
import { BotShuttingDown, stoppedByShutdown, stoppedText } from "../stop-reason.ts";
import type { Store, UsageOutcome } from "../store/types.ts";
import type { RequestMeter } from "../usage/request-meter.ts";
import { NO_USAGE_LIMITS, type UsageConfig } from "../usage/usage-config.ts";
import { UsageGuard } from "../usage/usage-guard.ts";
import type { MessageHandler } from "./adapter.ts";
import type { BotObserver, RequestOutcome } from "./bot-observer.ts";
import type { RequestContext } from "./bot-request.ts";
import { ConversationQueue } from "./conversation-queue.ts";
import { ConversationTurns, type HeldTurn } from "./conversation-turns.ts";
import { conversationKeyString, type IncomingMessage } from "./incoming-message.ts";
import { oversizedMessageText } from "./message-size.ts";
import { OpenRequests } from "./open-requests.ts";
import { routeRequest } from "./request-route.ts";
import { safeSink } from "./safe-sink.ts";
import { type StatusSource, statusReport } from "./status-report.ts";
import { admitUsage } from "./usage-admission.ts";
import { userTextFor } from "./user-messages.ts";

const DELIVERY_MEMORY_MS = 24 * 60 * 60 * 1000;

export interface BotOptions {
  store: Store;
  sandbox: Sandbox;
  /** Null when no LLM is configured: direct runs and commands still work. */
  model: ChatModel | null;
  agent: AgentConfig;
  modelSeesImages: boolean;
  /** Answer later messages in a thread the bot is part of, without a new mention. */
  followThreads?: boolean;
  /** Who may use the bot; everyone when absent. */
  access?: AccessGate;
  /** Limits and prices; no limits when absent. Usage is recorded either way. */
  usage?: UsageConfig;
  /** What the admins' `status` command reports beyond the store: version, platforms, sandboxes. */
  status?: StatusSource;
  logger: Logger;
  now?: () => number;
  /** This process among the bot's replicas on one store; a new random id when absent. */
  replicaId?: string;
  /** Other bot processes use the store too (PostgreSQL): conversations take turns in it. */
  sharedStore?: boolean;
}

export class Bot implements MessageHandler {
  private readonly queue = new ConversationQueue();
  private readonly observers: BotObserver[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly agent: Agent | null;
  private readonly usage: UsageGuard;
  private readonly openRequests: OpenRequests;
  private readonly turns: ConversationTurns;
  private stopping = false;
  readonly replicaId: string;

  constructor(private readonly options: BotOptions) {
    this.usage = new UsageGuard({
      store: options.store,
      config: options.usage ?? NO_USAGE_LIMITS,
      logger: options.logger,
      now: () => this.now(),
    });
    this.replicaId = options.replicaId ?? randomUUID();
    this.openRequests = new OpenRequests(options.store, () => this.now(), this.replicaId);
    const shared = options.sharedStore ?? false;
    this.turns = new ConversationTurns(options.store, this.replicaId, () => this.now(), shared);
    this.agent = options.model
      ? new Agent({
          model: options.model,
          config: options.agent,
          maxFileBytes: options.sandbox.limits.maxFileBytes,
          modelSeesImages: options.modelSeesImages,
          logger: options.logger,
          ...(options.now ? { now: options.now } : {}),
        })
      : null;
  }

  /** Handles one message; resolves when its reply is complete (after any queued ones before it). */
  async handle(message: IncomingMessage, sink: ReplySink, formatting: ChatFormatting): Promise<void> {
    // Every log line of this request, down to the sandbox run, names it (the adapter's id when
    // it gave one at the platform event).
    return inRequest(() => this.handleRequest(message, sink, formatting));
  }

  private async handleRequest(
    message: IncomingMessage,
    sink: ReplySink,
    formatting: ChatFormatting,
  ): Promise<void> {
    const key = conversationKeyString(message.conversation);
    if (!message.addressed && !(await this.followsThread(key))) return;
    const log = this.options.logger.child({ conversation: key, delivery: message.deliveryId });
    const { platform } = message.conversation;
    const startedAt = this.now();
    let claimed: boolean;
    try {
      claimed = await this.options.store.claimDelivery(
        `${platform}:${message.deliveryId}`,
        DELIVERY_MEMORY_MS,
      );
    } catch (error) {
      // A store that takes no writes (a full disk, a read-only DATA_DIR) must not leave the
      // person without an answer: they are told what happened and what an admin must do.
      log.error({ err: error }, "could not record the delivery");
      return this.refuse(sink, log, platform, userTextFor(error), true);
    }
    if (!claimed) {
      log.info("repeated delivery ignored");
      this.notify(log, (o) => o.requestFinished({ platform, outcome: "duplicate", durationMs: 0 }));
      return;
    }
    const access = this.admit(message);
    // A refusal shows no status mark: the access rules promise nothing happens but the reply.
    if (!access.allowed) return this.refuse(sink, log, platform, { code: "not_allowed", text: access.text });
    if (this.stopping) {
      // Arrived while the bot shuts down: remembered, so the next start asks for it again.
      log.info("message arrived while stopping; the next start will ask for it again");
      return void (await this.openRequests.opened(message, key, this.turns.arrive(), log));
    }
    const tooLong = oversizedMessageText(message.text);
    if (tooLong) {
      // Refused before any session, history or usage: the thread is as if it was never sent.
      log.info({ chars: message.text.length }, "message over the length limit refused");
      return this.refuse(sink, log, platform, { code: "message_too_long", text: tooLong }, true);
    }
    const finished = (outcome: RequestOutcome) => {
      const durationMs = this.now() - startedAt;
      this.notify(log, (o) => o.requestFinished({ platform, outcome, durationMs }));
    };
    // Commands cost no model tokens and are how someone over a limit learns where they stand,
    // so they are neither limited nor recorded as usage.
    let meter: RequestMeter | null = null;
    if (message.command === undefined) {
      const started = await admitUsage(this.usage, {
        message,
        key,
        admin: access.admin,
        startedAt,
        modelName: this.options.model?.name ?? null,
        reply: safeSink(sink, log, () => {}),
        log,
      });
      if (started === "refused" || started === "failed") return finished(started);
      meter = started;
    }
    // Runs are seen in the reply stream, so the agent's tool calls are counted without a hook of their own.
    let failed = false;
    let shown: string | null = null;
    const emit = safeSink(sink, log, (event) => {
      if (event.type === "error") failed = true;
      if (event.type === "status") shown = event.status;
      if (event.type === "code-result") {
        const { status, durationMs } = event.run;
        this.notify(log, (o) => o.codeRunFinished({ platform, status, durationMs }));
      }
      meter?.seen(event);
    });
    // Stamped and queued in one synchronous step, so this process's queue and the arrival order
    // other replicas see agree (an older request here is never behind a newer one).
    const arrival = this.turns.arrive();
    const opening = this.openRequests.opened(message, key, arrival, log);
    const queued = this.queue.isBusy(key);
    let outcome: UsageOutcome = "failed";
    const running = this.queue.run(key, async () => {
      const open = await opening;
      const begun = () => this.openRequests.started(open, log);
      // Waiting for another replica looks like waiting here: one "queued", not two.
      const waiting = async () => {
        if (shown !== "queued") await emit({ type: "status", status: "queued" });
      };
      const context = {
        key,
        message,
        emit,
        formatting,
        log,
        admin: access.admin,
        meter,
        arrival,
        begun,
        waiting,
      };
      const cancelled = await this.process(context);
      outcome = cancelled ? "cancelled" : failed ? "failed" : "done";
    });
    if (queued) await emit({ type: "status", status: "queued" });
    try {
      await running;
    } finally {
      // Whatever the outcome, the row is completed and what the request used is told.
      if (meter) {
        const used = { platform, outcome, ...(await this.usage.finish(meter, outcome, log)) };
        this.notify(log, (o) => o.requestUsage?.(used));
      }
      finished(outcome);
      await this.openRequests.closed(await opening, log);
    }
  }

  /** A request turned away before it starts: one reply, counted as refused, nothing else. */
  private async refuse(
    sink: ReplySink,
    log: Logger,
    platform: string,
    error: { code: string; text: string },
    markFailed = false,
  ): Promise<void> {
    const reply = safeSink(sink, log, () => {});
    await reply({ type: "error", ...error });
    if (markFailed) await reply({ type: "status", status: "failed" });
    this.notify(log, (o) => o.requestFinished({ platform, outcome: "refused", durationMs: 0 }));
  }

  admit(message: Pick<IncomingMessage, "conversation" | "author" | "place">): AccessDecision {
    const decision = (this.options.access ?? OPEN_ACCESS).decide(message);
    const who = { user: message.author.id, conversation: conversationKeyString(message.conversation) };
    if (decision.allowed) this.options.logger.debug({ ...who, reason: decision.reason }, "access allowed");
    else this.options.logger.info({ ...who, reason: decision.reason }, "access refused");
    return decision;
  }

  /** Adds an observer (metrics); it hears about requests that finish from now on. */
  observe(observer: BotObserver): void {
    this.observers.push(observer);
  }

  private notify(log: Logger, tell: (observer: BotObserver) => void): void {
    for (const observer of this.observers) {
      try {
        tell(observer);
      } catch (error) {
        log.warn({ err: error }, "a bot observer failed");
      }
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * A thread the bot already answered in is followed without a new mention, when configured;
   * `reset` clears the history but the bot stays part of the thread.
   */
  private async followsThread(key: string): Promise<boolean> {
    if (!this.options.followThreads) return false;
    return (await this.options.store.getConversation(key)) !== null;
  }

  /** Stops the conversation's current run, if any. */
  cancel(conversation: IncomingMessage["conversation"]): boolean {
    const controller = this.running.get(conversationKeyString(conversation));
    controller?.abort();
    return controller !== undefined;
  }

  /**
   * The conversation's files, outside its queue: a list must not wait minutes behind a run,
   * and reading files does not disturb one.
   */
  async listFiles(conversation: IncomingMessage["conversation"]): Promise<SandboxFile[]> {
    const session = await this.options.sandbox.acquire(conversationKeyString(conversation));
    return session.listFiles();
  }

  async readFile(conversation: IncomingMessage["conversation"], path: string): Promise<Buffer> {
    const session = await this.options.sandbox.acquire(conversationKeyString(conversation));
    return session.getFile(path, session.limits.maxFileBytes);
  }

  /** Takes no new requests, lets running ones finish for up to `graceMs`, then cancels them. */
  async stop(graceMs = 0): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.queue.drain(), grace]);
    clearTimeout(timer);
    for (const controller of this.running.values()) controller.abort(new BotShuttingDown());
    await this.queue.drain();
  }

  /** Runs one request to its end; true when it was cancelled. */
  private async process(context: RequestContext): Promise<boolean> {
    const { key, emit, log } = context;
    const controller = new AbortController();
    this.running.set(key, controller);
    let turn: HeldTurn | null = null;
    try {
      turn = await this.turns.take(key, context.arrival, {
        signal: controller.signal,
        onWait: context.waiting,
        log,
      });
      await context.begun();
      await emit({ type: "status", status: "working" });
      await this.route(context, controller.signal);
      // What ran before the shutdown is shown; the request did not finish, and the mark says so.
      await emit({ type: "status", status: stoppedByShutdown(controller.signal) ? "failed" : "done" });
    } catch (error) {
      log.error({ err: error }, "request failed");
      const { code, text } = controller.signal.aborted ? stoppedText(controller.signal) : userTextFor(error);
      await emit({ type: "error", code, text });
      await emit({ type: "status", status: "failed" });
    } finally {
      this.running.delete(key);
      // Before the turn goes: whoever takes it next, here or on another replica, adopts the sandbox.
      if (this.options.sharedStore) await this.handOver(key, log);
      await turn?.release();
    }
    return controller.signal.aborted;
  }

  /**
   * Housekeeping on a conversation's sandbox (the idle reaper, with replicas) in its place among
   * the conversation's requests and under its turn. False, without running it, when a request
   * here or on another replica holds or waits for the conversation: it is not idle then.
   */
  async housekeep(key: string, work: () => Promise<void>): Promise<boolean> {
    if (this.queue.isBusy(key)) return false;
    const log = this.options.logger.child({ conversation: key });
    let done = false;
    await this.queue.run(key, async () => {
      const turn = await this.turns.tryTake(key, log);
      if (!turn) return;
      try {
        await work();
        done = true;
      } finally {
        await this.handOver(key, log);
        await turn.release();
      }
    });
    return done;
  }

  private async handOver(key: string, log: Logger): Promise<void> {
    await this.options.sandbox
      .handOver(key)
      .catch((error: unknown) => log.warn({ err: error }, "could not hand the sandbox over"));
  }

  private route(context: RequestContext, signal: AbortSignal): Promise<void> {
    const { store, sandbox } = this.options;
    return routeRequest(context, signal, {
      store,
      sandbox,
      agent: this.agent,
      usage: this.usage,
      maxAttachmentBytes: this.options.agent.maxAttachmentBytes,
      now: () => this.now(),
      status: () =>
        statusReport({
          source: this.options.status ?? null,
          store,
          model: this.options.model?.name ?? null,
          replicaId: this.replicaId,
          prices: (this.options.usage ?? NO_USAGE_LIMITS).prices,
          now: this.now(),
        }),
    });
  }
}
