/**
 * The web platform's side of a chat: what Slack's servers do for Slack. Every change to a
 * conversation is written to the transcript and then sent to the pages that have it open,
 * rendered; the surface (web-surface.ts) and the HTTP routes both go through here. Writes to a
 * conversation that was deleted meanwhile are dropped, not errors: a reply still arriving for
 * it has nowhere to go.
 */
import type { ServerResponse } from "node:http";
import type { Logger } from "../../src/logger.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import type { ShownStatus } from "../../src/present/surface.ts";
import type { TableData } from "../../src/sandbox/types.ts";
import { type Activity, activityAfter, IDLE, summarize } from "./web-activity.ts";
import { type EventHub, send } from "./web-events.ts";
import { mimeFromName, type WebFileStore } from "./web-file-store.ts";
import { type PostView, viewPost } from "./web-render.ts";
import {
  type Conversation,
  DEFAULT_TITLE,
  type FileRef,
  type Post,
  type WebTranscript,
} from "./web-transcript.ts";

const TITLE_CHARS = 60;

export interface ConversationView {
  conversation: Conversation;
  posts: PostView[];
  activity: Activity;
}

export class WebConversations {
  /** Per conversation, per user message still being answered: what it is doing. */
  private readonly activities = new Map<string, Map<string, Activity>>();

  constructor(
    readonly transcript: WebTranscript,
    readonly files: WebFileStore,
    private readonly hub: EventHub,
    private readonly logger: Logger,
  ) {}

  view(id: string): ConversationView | null {
    const conversation = this.transcript.getConversation(id);
    if (!conversation) return null;
    return {
      conversation,
      posts: this.transcript.listPosts(id).map(viewPost),
      activity: this.activity(id),
    };
  }

  rename(id: string, title: string): Conversation | null {
    const conversation = this.transcript.renameConversation(id, title);
    if (conversation) this.hub.publish(id, { event: "conversation", data: conversation });
    return conversation;
  }

  async delete(id: string): Promise<void> {
    const unused = this.transcript.deleteConversation(id);
    this.activities.delete(id);
    this.hub.end(id, { event: "deleted", data: { id } });
    for (const hash of unused) {
      await this.files.remove(hash).catch((error: unknown) => {
        this.logger.warn({ err: error, hash }, "a deleted conversation's file was not removed");
      });
    }
  }

  /** The user's message; the first one names a conversation that has no name yet. */
  addUserPost(
    conversationId: string,
    post: { markdown: string; attachments: FileRef[]; clientId: string | null },
  ): Post | null {
    const created = this.transcript.addPost(conversationId, { role: "user", ...post });
    if (!created) return null;
    this.publishPost(created);
    const conversation = this.transcript.getConversation(conversationId);
    const title = titleFrom(post.markdown) ?? post.attachments[0]?.name;
    if (conversation?.title === DEFAULT_TITLE && title) this.rename(conversationId, title);
    return created;
  }

  addBotPost(
    conversationId: string,
    replyTo: string,
    markdown: string,
    attachments: FileRef[] = [],
    table: TableData | null = null,
  ): Post | null {
    const post = this.transcript.addPost(conversationId, {
      role: "bot",
      markdown,
      attachments,
      table,
      replyTo,
    });
    if (post) this.publishPost(post);
    return post;
  }

  editPost(id: string, markdown: string): void {
    const post = this.transcript.editPost(id, markdown);
    if (post) this.publishPost(post);
  }

  setStatus(id: string, status: ShownStatus): void {
    const post = this.transcript.setStatus(id, status);
    if (post) this.publishPost(post);
  }

  /** Keeps a file the bot made; null when the conversation is gone. */
  async keepFile(conversationId: string, name: string, data: Buffer): Promise<FileRef | null> {
    if (!this.transcript.getConversation(conversationId)) return null;
    const blob = await this.files.saveBuffer(data);
    return this.transcript.addFile(conversationId, { ...blob, name, mime: mimeFromName(name) });
  }

  /** Follows a request's reply events for the status indicator. */
  observe(conversationId: string, requestId: string, event: ReplyEvent): void {
    const next = activityAfter(event);
    if (next) this.setActivity(conversationId, requestId, next);
  }

  /** The request's reply is over, however it ended. */
  finish(conversationId: string, requestId: string): void {
    this.setActivity(conversationId, requestId, IDLE);
  }

  /**
   * Starts a page's event stream: the posts changed after `afterVersion` first, then the
   * indicator, then everything as it happens. Nothing can slip in between: the transcript is
   * synchronous and this runs in one turn.
   */
  subscribe(conversationId: string, response: ServerResponse, afterVersion: number): boolean {
    if (!this.transcript.getConversation(conversationId)) return false;
    for (const post of this.transcript.listPosts(conversationId, afterVersion)) {
      send(response, { event: "post", id: post.version, data: viewPost(post) });
    }
    send(response, { event: "activity", data: this.activity(conversationId) });
    this.hub.subscribe(conversationId, response);
    return true;
  }

  private setActivity(conversationId: string, requestId: string, activity: Activity): void {
    let requests = this.activities.get(conversationId);
    if (!requests) {
      if (activity.state === "idle") return;
      requests = new Map();
      this.activities.set(conversationId, requests);
    }
    const before = this.activity(conversationId);
    if (activity.state === "idle") requests.delete(requestId);
    else requests.set(requestId, activity);
    if (requests.size === 0) this.activities.delete(conversationId);
    const after = this.activity(conversationId);
    if (after.state !== before.state || after.label !== before.label) {
      this.hub.publish(conversationId, { event: "activity", data: after });
    }
  }

  private activity(conversationId: string): Activity {
    return summarize([...(this.activities.get(conversationId)?.values() ?? [])]);
  }

  private publishPost(post: Post): void {
    this.hub.publish(post.conversationId, { event: "post", id: post.version, data: viewPost(post) });
  }
}

/** The first line of a message, shortened, as the conversation's name. */
function titleFrom(markdown: string): string | undefined {
  const line = markdown
    .split("\n")
    .filter((text) => !/^\s*`{3,}/.test(text))
    .map((text) => text.replace(/^[#>*\-\s]+/, "").trim())
    .find((text) => text !== "");
  if (!line) return undefined;
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}
