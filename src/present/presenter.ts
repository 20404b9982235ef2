/**
 * The reply policy every platform shares: turns one reply's events into posts, edits, uploads
 * and status marks on a ReplySurface. Status goes on the user's message; streamed text grows
 * in one progress message edited at most once per interval; code and its output share one
 * message when they fit, and are attached as files when they are too long; long text is split,
 * never cut. Platform calls run one after another in event order; a failed call is logged and
 * the reply goes on. Without `edit`, the answer is posted once, whole; without `showStatus`,
 * a line says when the request has to wait. A run waiting for a sandbox is marked "queued" and
 * has one line of its own (queue-line.ts) until it starts.
 */
import { humanSize } from "../files/human-size.ts";
import type { Logger } from "../logger.ts";
import type { RunStage, TableData } from "../sandbox/types.ts";
import { type QueueExit, QueueLine, queueExit } from "./queue-line.ts";
import type { BotStatus, CodeRunSummary, ReplyEvent, ReplySink } from "./reply-events.ts";
import { runOutputText, runStatusLine } from "./run-text.ts";
import type { ReplySurface, ShownStatus } from "./surface.ts";
import { fitTable, type TableText, tableNote } from "./table-text.ts";

export interface PresenterOptions {
  /** How often the progress message (and a queued run's line) may be edited. */
  progressIntervalMs: number;
  /** How often `typing` is repeated while the bot works; platforms let it fade after ~10 s. */
  typingIntervalMs?: number;
  logger: Logger;
  now?: () => number;
  /** Told of each platform call that failed (for metrics); the reply goes on either way. */
  onPlatformError?: (error: unknown) => void;
}

/** Characters kept free under a table for the note that says what it leaves out. */
const TABLE_NOTE_ROOM = 300;

const SHOWN: Partial<Record<BotStatus, ShownStatus>> = {
  queued: "queued",
  working: "working",
  done: "done",
  failed: "failed",
};

export class ReplyPresenter {
  private chain: Promise<void> = Promise.resolve();
  private streamed = "";
  private progressRef: string | null = null;
  private lastProgressAt = 0;
  private progressTimer: NodeJS.Timeout | null = null;
  private typingTimer: NodeJS.Timeout | null = null;
  private codeMessage: { ref: string; text: string } | null = null;
  private shownStatus: ShownStatus | null = null;
  private uploads = 0;
  private readonly queueLine: QueueLine;

  constructor(
    private readonly surface: ReplySurface,
    private readonly options: PresenterOptions,
  ) {
    this.queueLine = new QueueLine(surface, {
      intervalMs: options.progressIntervalMs,
      now: () => this.now(),
      schedule: (work) => void this.enqueue(work),
    });
  }

  readonly sink: ReplySink = (event: ReplyEvent) => this.enqueue(() => this.render(event));

  /** Resolves when everything sent so far has reached the platform. */
  flushed(): Promise<void> {
    return this.chain;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(work).catch((error: unknown) => this.platformFailed(error));
    return this.chain;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get text() {
    return this.surface.text;
  }

  private async render(event: ReplyEvent): Promise<void> {
    const exit = this.queueLine.waiting ? queueExit(event) : null;
    if (exit) await this.leaveQueue(exit);
    switch (event.type) {
      case "status":
        return this.status(event.status);
      case "sandbox-stage":
        return this.stage(event.stage);
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
      case "table":
        return this.table(event);
      case "notice":
        return void (await this.surface.post(`${this.text.icons.notice} ${this.text.literal(event.text)}`));
      case "error":
        return void (await this.surface.post(`${this.text.icons.warning} ${this.text.literal(event.text)}`));
    }
  }

  private async status(status: BotStatus): Promise<void> {
    if (status === "done" || status === "failed") {
      this.stopTyping();
      if (this.progressTimer) {
        // The last streamed words must not wait for a timer that fires after the reply ends.
        clearTimeout(this.progressTimer);
        this.progressTimer = null;
        await this.updateProgress();
      }
    } else if (status === "working" || status === "running-code") {
      await this.startTyping();
    }
    const shown = SHOWN[status];
    if (!shown || shown === this.shownStatus) return;
    await this.show(shown);
    if (shown === "queued" && !this.surface.showStatus) {
      await this.surface.post(
        `${this.text.icons.waiting} Waiting for the request before this one to finish.`,
      );
    }
  }

  private platformFailed(error: unknown): void {
    this.options.logger.warn({ err: error }, "a platform call failed");
    this.options.onPlatformError?.(error);
  }

  private async show(shown: ShownStatus): Promise<void> {
    if (shown === this.shownStatus) return;
    this.shownStatus = shown;
    if (!this.surface.showStatus) return;
    try {
      await this.surface.showStatus(shown);
    } catch (error) {
      // A status mark is a courtesy: a missing permission must not stop the reply.
      this.options.logger.debug({ err: error, status: shown }, "status not shown");
      this.options.onPlatformError?.(error);
    }
  }

  /** Leaving the queue is told by the event after it (see `queueExit`), so only `queued` is handled here. */
  private async stage(stage: RunStage): Promise<void> {
    if (stage.stage !== "queued") return this.startTyping();
    // Typing would say the bot is at work on this request; the mark and the line say it waits.
    this.stopTyping();
    await this.show("queued");
    await this.queueLine.queued(stage.ahead);
  }

  private async leaveQueue(exit: QueueExit): Promise<void> {
    try {
      await this.queueLine.end(exit);
    } catch (error) {
      // A line that could not be edited must not cost the event that ended the wait.
      this.platformFailed(error);
    }
    if (exit === "started") await this.show("working");
  }

  private async startTyping(): Promise<void> {
    const typing = this.surface.typing?.bind(this.surface);
    if (!typing || this.typingTimer) return;
    const interval = this.options.typingIntervalMs ?? 8_000;
    this.typingTimer = setInterval(() => void this.enqueue(typing), interval);
    this.typingTimer.unref();
    await typing();
  }

  private stopTyping(): void {
    if (this.typingTimer) clearInterval(this.typingTimer);
    this.typingTimer = null;
  }

  private async progress(delta: string): Promise<void> {
    this.streamed += delta;
    // Without edits there is no message to grow: the answer is posted once, when it is whole.
    if (!this.surface.edit) return;
    if (this.progressRef === null) {
      this.progressRef = await this.surface.post(`${this.preview()} …`);
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

  private preview(): string {
    return (
      this.text.split(this.text.fromMarkdown(this.streamed), this.surface.limits.messageChars - 2)[0] ?? ""
    );
  }

  private async updateProgress(): Promise<void> {
    if (this.progressRef === null || !this.streamed || !this.surface.edit) return;
    await this.surface.edit(this.progressRef, `${this.preview()} …`);
    this.lastProgressAt = this.now();
  }

  private async finalText(markdown: string): Promise<void> {
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = null;
    const [first, ...rest] = this.text.split(
      this.text.fromMarkdown(markdown),
      this.surface.limits.messageChars,
    );
    if (first !== undefined) {
      if (this.progressRef && this.surface.edit) await this.surface.edit(this.progressRef, first);
      else await this.surface.post(first);
    }
    for (const chunk of rest) await this.surface.post(chunk);
    this.streamed = "";
    this.progressRef = null;
  }

  private async code(code: string): Promise<void> {
    const { icons } = this.text;
    const block = this.text.codeBlock(code, this.surface.limits.codeChars, "python");
    if (block === null) {
      this.codeMessage = null;
      await this.upload(
        `code-${this.uploads + 1}.py`,
        Buffer.from(code),
        `${icons.code} The code is long, so it is attached:`,
      );
      return;
    }
    const text = `${icons.code} Running:\n${block}`;
    const ref = await this.surface.post(text);
    this.codeMessage = ref && this.surface.edit ? { ref, text } : null;
  }

  private async codeResult(run: CodeRunSummary): Promise<void> {
    const output = runOutputText(run);
    const block = output ? this.text.codeBlock(output, this.surface.limits.outputChars) : null;
    const status = runStatusLine(run, this.text);
    let summary = block ? `${status}\n${block}` : status;
    if (output && block === null) {
      await this.upload(
        `output-${this.uploads + 1}.txt`,
        Buffer.from(output),
        `${status} The output is long, so it is attached:`,
      );
      summary = "";
    }
    const codeMessage = this.codeMessage;
    this.codeMessage = null;
    if (!summary) return;
    const combined = codeMessage ? `${codeMessage.text}\n${summary}` : null;
    if (codeMessage && combined && combined.length <= this.surface.limits.messageChars && this.surface.edit) {
      await this.surface.edit(codeMessage.ref, combined);
    } else {
      await this.surface.post(summary);
    }
  }

  /**
   * A table as a table where the surface can show one; otherwise as a text table cut to fit
   * one message. Either way a note says what it leaves out, and the whole table comes as CSV
   * when it leaves anything out.
   */
  private async table(event: Extract<ReplyEvent, { type: "table" }>): Promise<void> {
    const { limits } = this.surface;
    let table = event.table;
    let csv = event.csv;
    if (csv && csv.data.length > limits.uploadBytes) {
      const csvMissing = `it is ${humanSize(csv.data.length)} as CSV, over the ${humanSize(limits.uploadBytes)} this chat accepts`;
      table = { ...table, csvMissing };
      csv = null;
    }
    const notice = (note: string | null) =>
      note ? `${this.text.icons.notice} ${this.text.literal(note)}` : null;
    if (this.surface.table) {
      const note = tableNote(table, everythingSent(table), csv?.name ?? null);
      // Counted as an upload, so the files after it are numbered as on a platform without tables.
      if (csv && note) this.uploads += 1;
      return this.surface.table({ table, note: notice(note), csv: note ? csv : null });
    }
    const budget = Math.min(limits.outputChars, limits.messageChars - TABLE_NOTE_ROOM);
    const shown = fitTable(table, (text) => this.text.codeBlock(text, budget) !== null);
    const note = tableNote(table, shown, csv?.name ?? null);
    const block = shown ? this.text.codeBlock(shown.text, budget) : null;
    const text = [block, notice(note)].filter((line): line is string => line !== null).join("\n");
    if (text) await this.surface.post(text);
    if (csv && note) await this.upload(csv.name, csv.data);
  }

  private async upload(name: string, data: Buffer, comment?: string): Promise<void> {
    const limit = this.surface.limits.uploadBytes;
    if (data.length > limit) {
      await this.surface.post(
        `${this.text.icons.warning} ${this.text.literal(name)} is ${humanSize(data.length)}, over the ` +
          `${humanSize(limit)} this chat accepts, so it was not attached.`,
      );
      return;
    }
    this.uploads += 1;
    await this.surface.upload(name, data, comment);
  }
}

/** A surface that shows tables shows every row and column the sandbox sent; the note counts only these. */
function everythingSent(table: TableData): TableText {
  return {
    text: "",
    headRows: table.head.length,
    tailRows: table.tail.length,
    columns: table.columns.length - table.indexColumns,
  };
}
