/**
 * The one line a reply shows while its code waits for a sandbox. It is posted when the run is
 * queued, edited as the number ahead changes (at most once per interval, like streamed text,
 * and always to the latest number in the end), and edited once more when the wait is over: to
 * say how long it was, or that the request ended while it waited, so the line never goes on
 * claiming to wait. Without `edit` the first line is all there is; the reply's later messages
 * say the rest.
 */
import type { ReplyEvent } from "./reply-events.ts";
import type { ReplySurface } from "./surface.ts";

/** How a wait in the queue ended. */
export type QueueExit = "started" | "cancelled" | "stopped";

export interface QueueLineOptions {
  /** The least time between two edits of the line. */
  intervalMs: number;
  now: () => number;
  /** Runs a delayed edit in turn with the reply's other platform calls. */
  schedule: (work: () => Promise<void>) => void;
}

interface Wait {
  since: number;
  /** The line to edit; null when the surface cannot edit or the post gave no reference. */
  ref: string | null;
  ahead: number;
  /** The number the line shows now. */
  shown: number;
  editedAt: number;
}

export class QueueLine {
  private wait: Wait | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly surface: ReplySurface,
    private readonly options: QueueLineOptions,
  ) {}

  /** True from a `queued` stage until the wait ends. */
  get waiting(): boolean {
    return this.wait !== null;
  }

  async queued(ahead: number): Promise<void> {
    const now = this.options.now();
    if (!this.wait) {
      const ref = await this.surface.post(this.queuedText(ahead));
      this.wait = { since: now, ref: this.surface.edit ? ref : null, ahead, shown: ahead, editedAt: now };
      return;
    }
    this.wait.ahead = ahead;
    if (this.wait.ref === null || ahead === this.wait.shown) return;
    const delay = this.wait.editedAt + this.options.intervalMs - now;
    if (delay <= 0) return this.refresh();
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.options.schedule(() => this.refresh());
    }, delay);
  }

  async end(exit: QueueExit): Promise<void> {
    const wait = this.wait;
    if (!wait) return;
    this.wait = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (wait.ref === null || !this.surface.edit) return;
    await this.surface.edit(wait.ref, this.endText(exit, this.options.now() - wait.since));
  }

  private async refresh(): Promise<void> {
    const wait = this.wait;
    if (!wait || wait.ref === null || !this.surface.edit || wait.ahead === wait.shown) return;
    const ahead = wait.ahead;
    await this.surface.edit(wait.ref, this.queuedText(ahead));
    wait.shown = ahead;
    wait.editedAt = this.options.now();
  }

  private queuedText(ahead: number): string {
    const place =
      ahead <= 0 ? "next in line" : `${ahead} ${ahead === 1 ? "request" : "requests"} ahead of this one`;
    return `${this.surface.text.icons.waiting} Queued: ${place}. It starts when a sandbox is free.`;
  }

  private endText(exit: QueueExit, waitedMs: number): string {
    const icon = this.surface.text.icons.waiting;
    const waited = waitedFor(waitedMs);
    switch (exit) {
      case "started":
        return `${icon} Waited ${waited} in the queue.`;
      case "cancelled":
        return `${icon} Cancelled while queued, after ${waited}.`;
      case "stopped":
        return `${icon} Stopped while queued, after ${waited}.`;
    }
  }
}

/**
 * What the next reply event says about a run that was waiting: a stage past `queued` means it
 * started; anything the reply says besides status changes means the request went on without
 * it (a result, an error, the end), cancelled or otherwise. Null while it may still wait.
 */
export function queueExit(event: ReplyEvent): QueueExit | null {
  switch (event.type) {
    case "sandbox-stage":
      return event.stage.stage === "queued" ? null : "started";
    case "status":
      return event.status === "done" || event.status === "failed" ? "stopped" : null;
    case "code-result":
      return event.run.status === "cancelled" ? "cancelled" : "stopped";
    case "error":
      return event.code === "cancelled" ? "cancelled" : "stopped";
    default:
      return "stopped";
  }
}

function waitedFor(ms: number): string {
  if (ms < 1_000) return "less than 1 s";
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)} min${rest ? ` ${rest} s` : ""}`;
}
