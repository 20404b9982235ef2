/**
 * The web chat's JSON API and event stream, for its page and for scripts:
 *   GET    /api/info                          what the page should know (model configured, caps)
 *   GET    /api/conversations                 the sidebar
 *   POST   /api/conversations                 a new conversation
 *   GET    /api/conversations/:id             its transcript, rendered
 *   PATCH  /api/conversations/:id             rename
 *   DELETE /api/conversations/:id             reset its sandbox and history, and delete it
 *   GET    /api/conversations/:id/events      Server-Sent Events (Last-Event-ID replays)
 *   POST   /api/conversations/:id/messages    a message (multipart: text, clientId, sizes, files)
 *   POST   /api/conversations/:id/cancel      stop the running request
 * Files are in web-file-routes.ts. Routes only translate; WebChatActions does the work.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { WebConversations } from "./web-conversations.ts";
import { SECURITY_HEADERS } from "./web-headers.ts";
import type { Post } from "./web-transcript.ts";
import { type MessageForm, readMessageForm } from "./web-uploads.ts";

/** What the routes ask of the adapter, which holds the bot. */
export interface WebChatActions {
  /** Records the user's message and starts its reply; a resent one (same client id) is not answered twice. */
  send(conversationId: string, form: MessageForm): Post | null;
  cancel(conversationId: string): boolean;
  delete(conversationId: string): Promise<void>;
}

export interface WebRoutesOptions {
  conversations: WebConversations;
  actions: WebChatActions;
  maxAttachmentBytes: number;
  modelConfigured: boolean;
  signInRequired: boolean;
}

const TITLE_CHARS = 200;

export function registerRoutes(app: FastifyInstance, options: WebRoutesOptions): void {
  const { conversations, actions } = options;
  const transcript = conversations.transcript;

  app.get("/api/info", async () => ({
    modelConfigured: options.modelConfigured,
    maxAttachmentBytes: options.maxAttachmentBytes,
    signInRequired: options.signInRequired,
  }));

  app.get("/api/conversations", async () => ({ conversations: transcript.listConversations() }));

  app.post("/api/conversations", async (request, reply) => {
    const title = titleOf((request.body as { title?: unknown } | null)?.title);
    return reply.code(201).send({ conversation: transcript.createConversation(title ?? undefined) });
  });

  app.get<{ Params: { id: string } }>("/api/conversations/:id", async (request, reply) => {
    const view = conversations.view(request.params.id);
    return view ?? notFound(reply);
  });

  app.patch<{ Params: { id: string } }>("/api/conversations/:id", async (request, reply) => {
    const title = titleOf((request.body as { title?: unknown } | null)?.title);
    if (title === null) return reply.code(400).send({ error: `A title is 1 to ${TITLE_CHARS} characters.` });
    const conversation = conversations.rename(request.params.id, title);
    return conversation ? { conversation } : notFound(reply);
  });

  app.delete<{ Params: { id: string } }>("/api/conversations/:id", async (request, reply) => {
    if (!transcript.getConversation(request.params.id)) return notFound(reply);
    await actions.delete(request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { after?: string } }>(
    "/api/conversations/:id/events",
    async (request, reply) => {
      const id = request.params.id;
      if (!transcript.getConversation(id)) return notFound(reply);
      const lastSeen = request.headers["last-event-id"] ?? request.query.after;
      const after = Number(Array.isArray(lastSeen) ? lastSeen[0] : lastSeen);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      raw.write("retry: 2000\n\n");
      // Without a last id the page has just loaded the transcript: only what changes from now on.
      const from = Number.isSafeInteger(after) ? after : (transcript.getConversation(id)?.version ?? 0);
      if (!conversations.subscribe(id, raw, from)) raw.end();
    },
  );

  app.post<{ Params: { id: string } }>("/api/conversations/:id/messages", async (request, reply) => {
    const id = request.params.id;
    if (!transcript.getConversation(id)) return notFound(reply);
    const form = await readMessageForm(request, conversations.files, options.maxAttachmentBytes);
    if (!form.text.trim() && form.files.length === 0) {
      return reply.code(400).send({ error: "Write a message or attach a file." });
    }
    const post = actions.send(id, form);
    return post ? reply.code(202).send({ post: { id: post.id, version: post.version } }) : notFound(reply);
  });

  app.post<{ Params: { id: string } }>("/api/conversations/:id/cancel", async (request, reply) => {
    if (!transcript.getConversation(request.params.id)) return notFound(reply);
    return { cancelled: actions.cancel(request.params.id) };
  });
}

export function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).send({ error: "There is no such conversation (it may have been deleted)." });
}

function titleOf(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const title = value.replace(/\s+/g, " ").trim();
  return title.length > 0 && title.length <= TITLE_CHARS ? title : null;
}
