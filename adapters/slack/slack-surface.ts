/**
 * Slack as a ReplySurface: messages in one thread through chat.postMessage and chat.update,
 * files through the v2 upload flow, the reply's state as a reaction on the user's message.
 */
import type { WebClient } from "@slack/web-api";
import type { Logger } from "../../src/logger.ts";
import type { ReplySurface, ShownStatus, SurfaceLimits, SurfaceText } from "../../src/present/surface.ts";
import { codeBlock, escapeMrkdwn, markdownToMrkdwn, SLACK_TEXT_LIMIT, splitForSlack } from "./format.ts";

export interface SlackReplyTarget {
  channel: string;
  /** Null posts at the top level (a direct message's main conversation). */
  threadTs: string | null;
  /** The message the reply answers, for status reactions; null for slash commands. */
  reactTo: string | null;
}

/** A target read back from a stored reply address; null when it is not one. */
export function replyTargetOf(address: Readonly<Record<string, string | null>>): SlackReplyTarget | null {
  const { channel, threadTs = null, reactTo = null } = address;
  if (!channel) return null;
  return { channel, threadTs, reactTo };
}

export const SLACK_LIMITS: SurfaceLimits = {
  messageChars: SLACK_TEXT_LIMIT,
  codeChars: 2_800,
  outputChars: 2_500,
  // Slack takes files up to 1 GB; the sandbox's own cap on files taken out is far below.
  uploadBytes: 1024 * 1024 * 1024,
};

export const SLACK_TEXT: SurfaceText = {
  fromMarkdown: markdownToMrkdwn,
  literal: escapeMrkdwn,
  codeBlock,
  split: splitForSlack,
  icons: {
    code: ":snake:",
    ok: ":white_check_mark:",
    error: ":x:",
    timeout: ":stopwatch:",
    crash: ":boom:",
    cancelled: ":no_entry_sign:",
    notice: ":information_source:",
    warning: ":warning:",
    waiting: ":hourglass_flowing_sand:",
  },
};

const REACTIONS: Record<ShownStatus, string> = {
  queued: "hourglass_flowing_sand",
  working: "eyes",
  done: "white_check_mark",
  failed: "x",
};

export class SlackSurface implements ReplySurface {
  readonly limits = SLACK_LIMITS;
  readonly text = SLACK_TEXT;
  private reaction: string | null = null;

  constructor(
    private readonly client: WebClient,
    private readonly target: SlackReplyTarget,
    private readonly logger: Logger,
    /** The mark already on the message, when a reply is reopened after a restart. */
    shown: ShownStatus | null = null,
  ) {
    this.reaction = shown ? REACTIONS[shown] : null;
  }

  async post(text: string): Promise<string | null> {
    const response = await this.client.chat.postMessage({
      channel: this.target.channel,
      text,
      ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    return typeof response.ts === "string" ? response.ts : null;
  }

  async edit(ref: string, text: string): Promise<void> {
    await this.client.chat.update({ channel: this.target.channel, ts: ref, text });
  }

  async upload(name: string, data: Buffer, comment?: string): Promise<void> {
    const file = {
      file: data,
      filename: name,
      title: name,
      ...(comment ? { initial_comment: comment } : {}),
    };
    // Two calls rather than an optional thread_ts: the SDK's argument type is a union.
    if (this.target.threadTs) {
      await this.client.filesUploadV2({
        ...file,
        channel_id: this.target.channel,
        thread_ts: this.target.threadTs,
      });
    } else {
      await this.client.filesUploadV2({ ...file, channel_id: this.target.channel });
    }
  }

  async showStatus(status: ShownStatus): Promise<void> {
    const next = REACTIONS[status];
    if (next === this.reaction || !this.target.reactTo) return;
    if (this.reaction) await this.react("remove", this.reaction);
    await this.react("add", next);
    this.reaction = next;
  }

  private async react(action: "add" | "remove", name: string): Promise<void> {
    const args = { channel: this.target.channel, timestamp: this.target.reactTo ?? "", name };
    try {
      if (action === "add") await this.client.reactions.add(args);
      else await this.client.reactions.remove(args);
    } catch (error) {
      // Reactions are a courtesy: a missing scope or a repeated reaction must not stop the reply.
      this.logger.debug({ err: error, name, action }, "reaction not applied");
    }
  }
}
