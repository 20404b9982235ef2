/**
 * The web chat as a ReplySurface: one reply's posts in its conversation. Posts keep their
 * Markdown and are edited in place (the presenter streams into one), files are kept and shown
 * under a post, a table is a post of its own shown as an HTML table (with its note and its CSV
 * as a download), and the reply's state is shown on the user's message. Everything goes through
 * WebConversations, which writes the transcript and tells the open pages.
 */
import type { ReplySurface, ShownStatus, ShownTable } from "../../src/present/surface.ts";
import { WEB_LIMITS, WEB_TEXT } from "./format.ts";
import type { WebConversations } from "./web-conversations.ts";

export class WebSurface implements ReplySurface {
  readonly limits = WEB_LIMITS;
  readonly text = WEB_TEXT;

  constructor(
    private readonly conversations: WebConversations,
    private readonly conversationId: string,
    /** The user's message this reply answers. */
    private readonly replyTo: string,
  ) {}

  async post(text: string): Promise<string | null> {
    return this.conversations.addBotPost(this.conversationId, this.replyTo, text)?.id ?? null;
  }

  async edit(ref: string, text: string): Promise<void> {
    this.conversations.editPost(ref, text);
  }

  async upload(name: string, data: Buffer, comment?: string): Promise<void> {
    const file = await this.conversations.keepFile(this.conversationId, name, data);
    if (file) this.conversations.addBotPost(this.conversationId, this.replyTo, comment ?? "", [file]);
  }

  async table({ table, note, csv }: ShownTable): Promise<void> {
    const file = csv ? await this.conversations.keepFile(this.conversationId, csv.name, csv.data) : null;
    this.conversations.addBotPost(this.conversationId, this.replyTo, note ?? "", file ? [file] : [], table);
  }

  async showStatus(status: ShownStatus): Promise<void> {
    this.conversations.setStatus(this.replyTo, status);
  }
}
