/**
 * Renders one reply's events into a Slack thread: reactions on the user's message for status,
 * one progress message edited at most once per interval while text streams, code and its
 * output in code blocks (files when too long), images and files through the v2 upload flow.
 * Calls run one after another in event order; a failed call is logged and the reply goes on.
 */
import type { WebClient } from "@slack/web-api";
import type { Logger } from "../../src/logger.ts";
import type { CodeRunSummary, ReplyEvent, ReplySink } from "../../src/present/reply-events.ts";
import { codeBlock, escapeMrkdwn, markdownToMrkdwn, splitForSlack } from "./format.ts";

export interface SlackReplyTarget {
  channel: string;
  /** Null posts at the top level (a direct message's main conversation). */
  threadTs: string | null;
  /** The message the reply answers, for status reactions; null for slash commands. */
  reactTo: string | null;
}

export interface SlackRendererOptions {
  progressIntervalMs: number;
  logger: Logger;
  now?: () => number;
}

const BLOCK_CHARS = 2_800;
const OUTPUT_CHARS = 2_500;

export class SlackReplyRenderer {
  private chain: Promise<void> = Promise.resolve();
  private streamed = "";
  private progressTs: string | null = null;
  private lastProgressAt = 0;
  private progressTimer: NodeJS.Timeout | null = null;
  private codeMessage: { ts: string; text: string } | null = null;
  private reaction: string | null = null;
  private uploads = 0;

  constructor(
    private readonly client: WebClient,
    private readonly target: SlackReplyTarget,
    private readonly options: SlackRendererOptions,
  ) {}

  readonly sink: ReplySink = (event: ReplyEvent) => this.enqueue(() => this.render(event));

  /** Resolves when everything sent so far has reached Slack. */
  flushed(): Promise<void> {
    return this.chain;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.options.logger.warn({ err: error, channel: this.target.channel }, "a Slack call failed");
    });
    return this.chain;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async render(event: ReplyEvent): Promise<void> {
    switch (event.type) {
      case "status":
        return this.status(event.status);
      case "text-delta":
        return this.progress(event.text);
      case "text":
        return this.finalText(event.text);
      case "code":
        return this.code(event.code);
      case "code-result":
        return this.codeResult(event.run);
      case "image":
      case "file":
        return this.upload(event.name, event.data);
      case "notice":
        return void (await this.post(`:information_source: ${escapeMrkdwn(event.text)}`));
      case "error":
        return void (await this.post(`:warning: ${escapeMrkdwn(event.text)}`));
    }
  }

  private async status(status: string): Promise<void> {
    if ((status === "done" || status === "failed") && this.progressTimer) {
      // The last streamed words must not wait for a timer that fires after the reply ends.
      clearTimeout(this.progressTimer);
      this.progressTimer = null;
      await this.updateProgress();
    }
    const next = { queued: "hourglass_flowing_sand", working: "eyes", done: "white_check_mark", failed: "x" }[
      status
    ];
    if (!next || next === this.reaction || !this.target.reactTo) return;
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
      this.options.logger.debug({ err: error, name, action }, "reaction not applied");
    }
  }

  private async progress(delta: string): Promise<void> {
    this.streamed += delta;
    if (this.progressTs === null) {
      this.progressTs = await this.post(`${markdownToMrkdwn(this.streamed)} …`);
      this.lastProgressAt = this.now();
      return;
    }
    const wait = this.lastProgressAt + this.options.progressIntervalMs - this.now();
    if (wait <= 0) return this.updateProgress();
    this.progressTimer ??= setTimeout(() => {
      this.progressTimer = null;
      void this.enqueue(() => this.updateProgress());
    }, wait);
  }

  private async updateProgress(): Promise<void> {
    if (this.progressTs === null || !this.streamed) return;
    const preview = splitForSlack(markdownToMrkdwn(this.streamed))[0] ?? "";
    await this.client.chat.update({
      channel: this.target.channel,
      ts: this.progressTs,
      text: `${preview} …`,
    });
    this.lastProgressAt = this.now();
  }

  private async finalText(markdown: string): Promise<void> {
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = null;
    const chunks = splitForSlack(markdownToMrkdwn(markdown));
    const [first, ...rest] = chunks;
    if (first !== undefined) {
      if (this.progressTs)
        await this.client.chat.update({ channel: this.target.channel, ts: this.progressTs, text: first });
      else await this.post(first);
    }
    for (const chunk of rest) await this.post(chunk);
    this.streamed = "";
    this.progressTs = null;
  }

  private async code(code: string): Promise<void> {
    const block = codeBlock(code, BLOCK_CHARS);
    if (block === null) {
      this.codeMessage = null;
      await this.upload(
        `code-${this.uploads + 1}.py`,
        Buffer.from(code),
        ":snake: The code is long, so it is attached:",
      );
      return;
    }
    const text = `:snake: Running:\n${block}`;
    const ts = await this.post(text);
    this.codeMessage = ts ? { ts, text } : null;
  }

  private async codeResult(run: CodeRunSummary): Promise<void> {
    const output = runOutputText(run);
    const block = output ? codeBlock(output, OUTPUT_CHARS) : null;
    const status = runStatusLine(run);
    let summary = block ? `${status}\n${block}` : status;
    if (output && block === null) {
      await this.upload(
        `output-${this.uploads + 1}.txt`,
        Buffer.from(output),
        `${status} The output is long, so it is attached:`,
      );
      summary = "";
    }
    if (!summary) return;
    const combined = this.codeMessage ? `${this.codeMessage.text}\n${summary}` : null;
    if (this.codeMessage && combined && combined.length <= 3_900) {
      await this.client.chat.update({
        channel: this.target.channel,
        ts: this.codeMessage.ts,
        text: combined,
      });
    } else {
      await this.post(summary);
    }
    this.codeMessage = null;
  }

  private async upload(name: string, data: Buffer, comment?: string): Promise<void> {
    this.uploads += 1;
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

  private async post(text: string): Promise<string | null> {
    const response = await this.client.chat.postMessage({
      channel: this.target.channel,
      text,
      ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    return typeof response.ts === "string" ? response.ts : null;
  }
}

function runOutputText(run: CodeRunSummary): string {
  const parts: string[] = [];
  if (run.stdout) parts.push(run.stdout.trimEnd());
  if (run.result) parts.push(run.result);
  if (run.stderr) parts.push(run.stderr.trimEnd());
  if (run.error?.traceback) parts.push(run.error.traceback.trimEnd());
  else if (run.error) parts.push(`${run.error.name}: ${run.error.value}`);
  return parts.join("\n");
}

function runStatusLine(run: CodeRunSummary): string {
  const seconds = `${(run.durationMs / 1000).toFixed(run.durationMs < 10_000 ? 2 : 0)} s`;
  switch (run.status) {
    case "ok":
      return `:white_check_mark: Ran in ${seconds}.`;
    case "error":
      return `:x: ${escapeMrkdwn(run.error?.name ?? "Error")} after ${seconds}.`;
    case "timeout":
      return `:stopwatch: Stopped at the time limit (${seconds}).`;
    case "oom":
      return ":boom: Ran out of memory.";
    case "crashed":
      return ":boom: Python crashed.";
    case "cancelled":
      return ":no_entry_sign: Cancelled.";
  }
}
