/**
 * The web chat's HTTP server on fastify: security headers on every response, the access checks
 * (web-auth.ts) before any route, the page's own files from adapters/web/public (a fixed list,
 * read once: nothing else on disk can be asked for), the API and the downloads. Errors answer
 * as JSON with a sentence a person can act on; unexpected ones are logged, not shown.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import fastifyCookie from "@fastify/cookie";
import fastifyMultipart from "@fastify/multipart";
import Fastify, { type FastifyInstance } from "fastify";
import { BotError } from "../../src/errors.ts";
import type { Logger } from "../../src/logger.ts";
import { registerAuth, registerSignIn } from "./web-auth.ts";
import type { WebConversations } from "./web-conversations.ts";
import { registerFileRoutes, type SandboxFiles } from "./web-file-routes.ts";
import { SECURITY_HEADERS } from "./web-headers.ts";
import { registerRoutes, type WebChatActions } from "./web-routes.ts";
import { FormError, MAX_FILES } from "./web-uploads.ts";

export const PUBLIC_DIR = path.join(import.meta.dirname, "public");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** URL path → file in public/. */
const PAGE_FILES: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/signin": "signin.html",
  "/signin.html": "signin.html",
  "/signin.js": "signin.js",
  "/app.css": "app.css",
  "/content.css": "content.css",
  "/favicon.svg": "favicon.svg",
  "/app.js": "app.js",
  "/api.js": "api.js",
  "/live.js": "live.js",
  "/posts.js": "posts.js",
  "/sidebar.js": "sidebar.js",
  "/composer.js": "composer.js",
  "/files-panel.js": "files-panel.js",
};

export interface WebServerOptions {
  token: string | null;
  loopback: boolean;
  conversations: WebConversations;
  actions: WebChatActions;
  sandboxFiles: SandboxFiles;
  maxAttachmentBytes: number;
  modelConfigured: boolean;
  logger: Logger;
}

export async function buildWebServer(options: WebServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 1024 * 1024, forceCloseConnections: true });
  const page = await readPageFiles();

  app.addHook("onRequest", async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  await app.register(fastifyCookie);
  // Files over the cap are cut off and reported in the conversation, not failed (web-uploads.ts).
  await app.register(fastifyMultipart, { throwFileSizeLimit: false, limits: { files: MAX_FILES } });
  registerAuth(app, { token: options.token, loopback: options.loopback });
  registerSignIn(app, options.token);

  for (const [url, file] of Object.entries(page)) {
    app.get(url, async (_request, reply) =>
      reply
        .header("content-type", file.type)
        // The page is small and changes with the bot: always revalidate, never serve a stale script.
        .header("cache-control", "no-cache")
        .send(file.data),
    );
  }
  registerRoutes(app, {
    conversations: options.conversations,
    actions: options.actions,
    maxAttachmentBytes: options.maxAttachmentBytes,
    modelConfigured: options.modelConfigured,
    signInRequired: options.token !== null,
  });
  registerFileRoutes(app, options.conversations, options.sandboxFiles);

  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: "Not found." }));
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof FormError) return reply.code(error.statusCode).send({ error: error.message });
    if (error instanceof BotError && error.action === "tell-user") {
      return reply.code(422).send({ error: error.message });
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return reply.code(status).send({ error: (error as Error).message });
    }
    options.logger.error({ err: error, method: request.method, url: request.url }, "web request failed");
    return reply
      .code(500)
      .send({ error: "Something went wrong on the server. It was logged; please try again." });
  });
  return app;
}

async function readPageFiles(): Promise<Record<string, { data: Buffer; type: string }>> {
  const files: Record<string, { data: Buffer; type: string }> = {};
  for (const [url, name] of Object.entries(PAGE_FILES)) {
    files[url] = {
      data: await readFile(path.join(PUBLIC_DIR, name)),
      type: CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream",
    };
  }
  return files;
}
