/**
 * The web chat: a page served by the bot itself, a third platform beside Slack and Discord on
 * the same core and presenter. Each conversation in the sidebar is one conversation of the
 * core (its own sandbox and history); a message posted to it becomes an IncomingMessage with
 * platform "web", and its reply goes through the shared ReplyPresenter onto a WebSurface,
 * which writes the transcript and streams it to the open pages. One local person uses it
 * ("web:local"); WEB_TOKEN guards it when it listens beyond this machine.
 */
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { ChatAdapter, MessageHandler, ReopenedReply } from "../../src/bot/adapter.ts";
import { parseCommandWord } from "../../src/bot/command-words.ts";
import type { ConversationKey, IncomingMessage } from "../../src/bot/incoming-message.ts";
import { FatalError } from "../../src/errors.ts";
import type { Logger } from "../../src/logger.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import type { ReplySink } from "../../src/present/reply-events.ts";
import { newRequestId, withRequestId } from "../../src/request-context.ts";
import type { ReplyAddress } from "../../src/store/types.ts";
import { WEB_FORMATTING } from "./format.ts";
import { isLoopback, type WebConfig } from "./web-config.ts";
import { WebConversations } from "./web-conversations.ts";
import { EventHub } from "./web-events.ts";
import { WebFileStore } from "./web-file-store.ts";
import type { WebChatActions } from "./web-routes.ts";
import { buildWebServer } from "./web-server.ts";
import { WebSurface } from "./web-surface.ts";
import { newId, type Post, WebTranscript } from "./web-transcript.ts";
import { type MessageForm, toAttachment } from "./web-uploads.ts";

export interface WebAdapterOptions {
  config: WebConfig;
  /** DATA_DIR: the transcript (web.sqlite) and the files (web-files/) live here. */
  dataDir: string;
  /** MAX_ATTACHMENT_MB, in bytes: uploads are cut off here, as the core would refuse them. */
  maxAttachmentBytes: number;
  /** Whether a model is configured; the page says so when not. */
  modelConfigured: boolean;
  logger: Logger;
  /** How often the progress post may be edited while text streams. */
  progressIntervalMs?: number;
}

const AUTHOR = { id: "local", name: "web user" };

export class WebAdapter implements ChatAdapter {
  readonly platform = "web";
  private running: {
    server: FastifyInstance;
    hub: EventHub;
    transcript: WebTranscript;
    conversations: WebConversations;
  } | null = null;
  private address: string | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Conversations being deleted: their queued requests are cancelled as they start. */
  private readonly deleting = new Set<string>();

  constructor(private readonly options: WebAdapterOptions) {}

  /** Where the page is, once started. */
  get url(): string | null {
    return this.address;
  }

  /** Started and its server still listening. */
  ready(): boolean {
    return this.running?.server.server.listening ?? false;
  }

  async start(handler: MessageHandler): Promise<void> {
    const { config, logger, dataDir } = this.options;
    const transcript = new WebTranscript(path.join(dataDir, "web.sqlite"));
    const hub = new EventHub();
    const conversations = new WebConversations(
      transcript,
      new WebFileStore(path.join(dataDir, "web-files")),
      hub,
      logger,
    );
    try {
      const server = await buildWebServer({
        token: config.token,
        loopback: isLoopback(config.host),
        conversations,
        actions: this.actions(handler, conversations),
        sandboxFiles: {
          list: (id) => handler.listFiles(conversationKey(id)),
          read: (id, file) => handler.readFile(conversationKey(id), file),
        },
        maxAttachmentBytes: this.options.maxAttachmentBytes,
        modelConfigured: this.options.modelConfigured,
        logger,
      });
      await listen(server, config);
      this.running = { server, hub, transcript, conversations };
      const bound = server.server.address();
      const port = typeof bound === "object" && bound ? bound.port : config.port;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      this.address = `http://${host}:${port}`;
      logger.info({ url: this.address, signIn: config.token !== null }, "web chat started");
    } catch (error) {
      hub.close();
      transcript.close();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = null;
    // Open event streams would hold the server open; the pages reconnect and replay later.
    running.hub.close();
    await Promise.allSettled([...this.inFlight]);
    await running.server.close();
    running.transcript.close();
  }

  private actions(handler: MessageHandler, conversations: WebConversations): WebChatActions {
    return {
      // Each message starts a request whose id every log line about it carries.
      send: (id, form) => withRequestId(newRequestId(), () => this.send(handler, conversations, id, form)),
      cancel: (id) => handler.cancel(conversationKey(id)),
      delete: async (id) => {
        this.deleting.add(id);
        try {
          handler.cancel(conversationKey(id));
          // Deleting is resetting: the sandbox's variables and files and the core's history go too.
          if (conversations.transcript.hasUserPosts(id)) {
            await handler.handle(
              { ...message(id, "reset", `reset:${newId()}`), command: "reset" },
              () => undefined,
              WEB_FORMATTING,
            );
          }
          await conversations.delete(id);
        } finally {
          this.deleting.delete(id);
        }
      },
    };
  }

  private send(
    handler: MessageHandler,
    conversations: WebConversations,
    id: string,
    form: MessageForm,
  ): Post | null {
    const { transcript, files } = conversations;
    if (form.clientId) {
      // The page resends a message it is not sure arrived; it is answered once.
      const earlier = transcript.findByClientId(id, form.clientId);
      if (earlier) return earlier;
    }
    const attachments = form.files.flatMap((file) =>
      file.stored ? [transcript.addFile(id, { ...file.stored, name: file.name, mime: file.mime })] : [],
    );
    const post = conversations.addUserPost(id, { markdown: form.text, attachments, clientId: form.clientId });
    if (!post) return null;
    const command = form.files.length === 0 ? parseCommandWord(form.text) : undefined;
    const incoming: IncomingMessage = {
      ...message(id, form.text, form.clientId ?? post.id),
      attachments: form.files.map((file) => toAttachment(file, files, this.options.maxAttachmentBytes)),
      ...(command ? { command } : {}),
    };
    this.dispatch(handler, conversations, id, post.id, incoming);
    return post;
  }

  /** Runs the request in the background: the page hears about it over its event stream. */
  private dispatch(
    handler: MessageHandler,
    conversations: WebConversations,
    id: string,
    postId: string,
    incoming: IncomingMessage,
  ): void {
    const logger = this.options.logger.child({ conversation: id });
    const presenter = this.presenter(conversations, id, postId);
    const sink: ReplySink = (event) => {
      if (this.deleting.has(id)) {
        if (event.type === "status" && event.status === "working") handler.cancel(conversationKey(id));
        return;
      }
      conversations.observe(id, postId, event);
      return presenter.sink(event);
    };
    const run = handler
      .handle({ ...incoming, replyAddress: { conversation: id, post: postId } }, sink, WEB_FORMATTING)
      .then(() => presenter.flushed())
      .catch((error: unknown) => logger.error({ err: error }, "web message handling failed"))
      .finally(() => {
        conversations.finish(id, postId);
        this.inFlight.delete(run);
      });
    this.inFlight.add(run);
  }

  async reopen(address: ReplyAddress): Promise<ReopenedReply | null> {
    const conversations = this.running?.conversations;
    const { conversation, post } = address;
    if (!conversations || !conversation || !post || !conversations.view(conversation)) return null;
    const presenter = this.presenter(conversations, conversation, post);
    return { sink: presenter.sink, formatting: WEB_FORMATTING, flushed: () => presenter.flushed() };
  }

  private presenter(conversations: WebConversations, id: string, postId: string): ReplyPresenter {
    return new ReplyPresenter(new WebSurface(conversations, id, postId), {
      progressIntervalMs: this.options.progressIntervalMs ?? 250,
      logger: this.options.logger.child({ conversation: id }),
    });
  }
}

async function listen(server: FastifyInstance, config: WebConfig): Promise<void> {
  try {
    await server.listen({ host: config.host, port: config.port });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL" || code === "EACCES") {
      const why =
        code === "EADDRINUSE" ? "is in use" : code === "EACCES" ? "is not allowed" : "is not on this machine";
      throw new FatalError(
        "web-listen-failed",
        `The web chat cannot listen on ${config.host}:${config.port}: the address ${why}. ` +
          "Set WEB_PORT (or WEB_HOST) to another one, or WEB_ENABLED=false to turn the web chat off.",
        error,
      );
    }
    throw error;
  }
}

/** The core's key for a web conversation: its random id is the thread. */
export function conversationKey(id: string): ConversationKey {
  return { platform: "web", workspace: "local", channel: "web", thread: id };
}

function message(id: string, text: string, deliveryId: string): IncomingMessage {
  return {
    deliveryId,
    conversation: conversationKey(id),
    author: AUTHOR,
    text,
    attachments: [],
    addressed: true,
  };
}
