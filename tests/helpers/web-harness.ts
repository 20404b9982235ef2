/**
 * The web adapter on a real HTTP server on 127.0.0.1, driven as its page drives it: JSON and
 * multipart requests with fetch, the transcript followed over Server-Sent Events, files
 * downloaded by their links. The core runs on the fake OpenAI server and the given sandbox
 * (the scripted FakeSandbox, or Docker's).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { WebAdapter } from "../../adapters/web/web-adapter.ts";
import type { PostView } from "../../adapters/web/web-render.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import type { Sandbox } from "../../src/sandbox/sandbox.ts";
import type { ContractDriver, SentMessage, ThreadView } from "../contract/adapter-contract.ts";
import { type BotHarness, createBotHarness } from "./bot-harness.ts";
import { SseClient } from "./sse-client.ts";

export interface WebHarness {
  bot: BotHarness;
  adapter: WebAdapter;
  client: WebClient;
  driver: WebDriver;
  dataDir: string;
  close(): Promise<void>;
}

export async function createWebHarness(
  options: {
    sandbox?: Sandbox;
    env?: Record<string, string>;
    withModel?: boolean;
    token?: string;
    /** Where the adapter and the bot log; silent by default. */
    logger?: Logger;
    /** The OpenAI key the fake model server expects and the bot is given. */
    apiKey?: string;
  } = {},
): Promise<WebHarness> {
  const withModel = options.withModel ?? true;
  const bot = await createBotHarness({ MAX_ATTACHMENT_MB: "1", ...options.env }, withModel, {
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), "cib-web-"));
  const adapter = new WebAdapter({
    config: { host: "127.0.0.1", port: 0, token: options.token ?? null },
    dataDir,
    maxAttachmentBytes: bot.config.agent.maxAttachmentBytes,
    modelConfigured: withModel,
    logger: options.logger?.child({ platform: "web" }) ?? silentLogger(),
    progressIntervalMs: 100,
  });
  await adapter.start(bot.bot);
  const client = new WebClient(adapter.url ?? "", options.token ?? null);
  const driver = new WebDriver(client);
  return {
    bot,
    adapter,
    client,
    driver,
    dataDir,
    async close() {
      driver.close();
      await bot.bot.stop();
      await adapter.stop();
      await bot.close();
    },
  };
}

export type Upload = { name: string; data: Buffer; mimeType: string };
type Init = Omit<RequestInit, "headers"> & { headers?: Record<string, string> };

/** The page's requests: the token as a bearer header when there is one, and the CSRF header on changes. */
export class WebClient {
  constructor(
    readonly url: string,
    private readonly token: string | null,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  fetch(pathname: string, init: Init = {}): Promise<Response> {
    const changes = init.method !== undefined && init.method !== "GET";
    return fetch(`${this.url}${pathname}`, {
      ...init,
      headers: this.headers({ ...(changes ? { "x-cib-request": "1" } : {}), ...init.headers }),
    });
  }

  async json<T>(pathname: string, init: Init = {}): Promise<T> {
    const response = await this.fetch(pathname, init);
    if (!response.ok) throw new Error(`${pathname} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  async createConversation(): Promise<string> {
    const { conversation } = await this.json<{ conversation: { id: string } }>("/api/conversations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    return conversation.id;
  }

  /** Posts a message as the page does (multipart, sizes declared); resolves with the response. */
  send(
    id: string,
    text: string,
    attachments: Upload[] = [],
    clientId: string = randomUUID(),
  ): Promise<Response> {
    const form = new FormData();
    form.append("clientId", clientId);
    form.append("text", text);
    form.append("sizes", JSON.stringify(attachments.map((file) => file.data.length)));
    for (const file of attachments) {
      form.append("file", new Blob([new Uint8Array(file.data)], { type: file.mimeType }), file.name);
    }
    return this.fetch(`/api/conversations/${id}/messages`, { method: "POST", body: form });
  }

  events(id: string, lastEventId?: string): Promise<SseClient> {
    const query = lastEventId === undefined ? "?after=0" : "";
    return SseClient.connect(
      `${this.url}/api/conversations/${id}/events${query}`,
      this.headers(lastEventId === undefined ? {} : { "last-event-id": lastEventId }),
    );
  }

  async download(url: string): Promise<Buffer> {
    const response = await this.fetch(url);
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }
}

/** A post's rendered HTML as the text a person reads. */
export function visibleText(html: string): string {
  return html
    .replace(/<\/t[hd]>(?=<t[hd][\s>])/g, "  ") // a data table's cells (web-table.ts) read apart
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}

interface Thread {
  events: SseClient;
  files: Map<string, Buffer>;
}

/** Plays the page's user for the adapter contract. */
export class WebDriver implements ContractDriver {
  private readonly threads = new Map<string, Thread>();
  private readonly sent = new Map<string, { thread: string; text: string; clientId: string }>();

  constructor(readonly client: WebClient) {}

  async startThread(text: string, attachments: Upload[] = []): Promise<SentMessage> {
    const id = await this.client.createConversation();
    this.threads.set(id, { events: await this.client.events(id), files: new Map() });
    return this.send(id, text, attachments);
  }

  reply(thread: string, text: string): Promise<SentMessage> {
    return this.send(thread, text, []);
  }

  async redeliver(message: SentMessage): Promise<void> {
    const sent = this.sent.get(message.messageId);
    if (!sent) return;
    const response = await this.client.send(sent.thread, sent.text, [], sent.clientId);
    if (response.status !== 202) throw new Error(`a resent message answered ${response.status}`);
  }

  async waitForReply(message: SentMessage, timeoutMs = 60_000): Promise<"done" | "failed"> {
    const thread = this.thread(message.thread);
    const status = await thread.events.waitFor(
      (events) => {
        const post = events
          .filter((event) => event.event === "post")
          .map((event) => JSON.parse(event.data) as PostView)
          .filter((post) => post.id === message.messageId)
          .at(-1);
        return post?.status === "done" || post?.status === "failed" ? post.status : undefined;
      },
      timeoutMs,
      `a finished reply to ${message.messageId}`,
    );
    // The files are fetched as the page would, by the links in the reloaded transcript.
    const view = await this.client.json<{ posts: PostView[] }>(`/api/conversations/${message.thread}`);
    for (const file of view.posts.flatMap((post) => post.attachments)) {
      if (!thread.files.has(file.id)) thread.files.set(file.id, await this.client.download(file.url));
    }
    return status;
  }

  view(thread: string): ThreadView {
    const { events, files } = this.thread(thread);
    const posts = new Map<string, PostView>();
    for (const post of events.all<PostView>("post")) posts.set(post.id, post);
    const replies = [...posts.values()].filter((post) => post.role === "bot");
    const attachments = replies.flatMap((post) => post.attachments).filter((file) => files.has(file.id));
    return {
      texts: replies.map((post) => visibleText(post.html)).filter((text) => text !== ""),
      images: attachments.filter((file) => file.kind === "image").map((file) => files.get(file.id) as Buffer),
      files: attachments.map((file) => ({ name: file.name, data: files.get(file.id) as Buffer })),
    };
  }

  close(): void {
    for (const thread of this.threads.values()) thread.events.close();
  }

  private thread(id: string): Thread {
    const thread = this.threads.get(id);
    if (!thread) throw new Error(`no conversation ${id} was started by this driver`);
    return thread;
  }

  private async send(thread: string, text: string, attachments: Upload[]): Promise<SentMessage> {
    const clientId = randomUUID();
    const response = await this.client.send(thread, text, attachments, clientId);
    if (response.status !== 202)
      throw new Error(`the message answered ${response.status}: ${await response.text()}`);
    const { post } = (await response.json()) as { post: { id: string } };
    this.sent.set(post.id, { thread, text, clientId });
    return { thread, messageId: post.id };
  }
}
