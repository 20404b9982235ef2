/**
 * Downloads:
 *   GET /files/:id                             a file shown in the transcript (an upload or a bot's file)
 *   GET /api/conversations/:id/files           the conversation's sandbox files (/mnt/data)
 *   GET /api/conversations/:id/files/*path     one of them, as a download
 * PNG, JPEG, GIF and WebP are shown inline; HTML is served for the page's sandboxed frame under
 * `Content-Security-Policy: sandbox allow-scripts` and no network (an opaque origin: no cookies, no API);
 * everything else is an attachment under a policy that runs nothing.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { SandboxFile } from "../../src/sandbox/types.ts";
import type { WebConversations } from "./web-conversations.ts";
import { isHtml, isInlineImage, mimeFromName } from "./web-file-store.ts";
import { FILE_CSP, HTML_FILE_CSP } from "./web-headers.ts";
import { notFound } from "./web-routes.ts";

/** The conversation's sandbox, as the adapter reaches it through the bot. */
export interface SandboxFiles {
  list(conversationId: string): Promise<SandboxFile[]>;
  read(conversationId: string, path: string): Promise<Buffer>;
}

export function registerFileRoutes(
  app: FastifyInstance,
  conversations: WebConversations,
  sandboxFiles: SandboxFiles,
): void {
  const transcript = conversations.transcript;

  app.get<{ Params: { id: string } }>("/files/:id", async (request, reply) => {
    const file = transcript.getFile(request.params.id);
    if (!file)
      return reply.code(404).send({ error: "There is no such file (its conversation may be deleted)." });
    const kind = isInlineImage(file.mime) ? "image" : isHtml(file.mime) ? "html" : "file";
    reply
      .header("content-type", kind === "html" ? "text/html" : file.mime)
      .header("content-length", String(file.size))
      .header("content-disposition", disposition(kind === "file" ? "attachment" : "inline", file.name))
      // Ids are random and bytes never change under an id.
      .header("cache-control", "private, max-age=31536000, immutable")
      .header("content-security-policy", kind === "html" ? HTML_FILE_CSP : FILE_CSP);
    // The page frames HTML files; the sandbox above is what keeps them away from the chat.
    if (kind === "html") reply.removeHeader("x-frame-options");
    return reply.send(conversations.files.open(file.sha256));
  });

  app.get<{ Params: { id: string } }>("/api/conversations/:id/files", async (request, reply) => {
    if (!transcript.getConversation(request.params.id)) return notFound(reply);
    const files = await sandboxFiles.list(request.params.id);
    return { files: files.map(({ path, size, mime }) => ({ path, size, mime })) };
  });

  app.get<{ Params: { id: string; "*": string } }>(
    "/api/conversations/:id/files/*",
    async (request, reply) => {
      const id = request.params.id;
      if (!transcript.getConversation(id)) return notFound(reply);
      const wanted = request.params["*"];
      // Only a path the sandbox itself listed: nothing the request makes up reaches the sandbox.
      const file = (await sandboxFiles.list(id)).find((candidate) => candidate.path === wanted);
      if (!file)
        return reply.code(404).send({ error: `There is no file /mnt/data/${wanted} in this conversation.` });
      const data = await sandboxFiles.read(id, file.path);
      return sendDownload(reply, file.path.split("/").pop() ?? "file", data);
    },
  );
}

function sendDownload(reply: FastifyReply, name: string, data: Buffer): FastifyReply {
  return reply
    .header("content-type", mimeFromName(name))
    .header("content-disposition", disposition("attachment", name))
    .header("cache-control", "no-store")
    .header("content-security-policy", FILE_CSP)
    .send(data);
}

/** A Content-Disposition with an ASCII fallback and the exact name in RFC 5987 form. */
export function disposition(type: "inline" | "attachment", name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
