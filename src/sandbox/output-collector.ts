/**
 * Gathers one execution's output on the bot's side, with its own bounds: the supervisor
 * already caps what it sends, but the bot never trusts the far side to have done so.
 */
import type { DisplayOutput, OutputEvent } from "./types.ts";

const MAX_DISPLAYS = 64;
/** Images, figure pages and table CSVs of one run, together. */
const MAX_DISPLAY_BYTES_TOTAL = 96 * 1024 * 1024;

export class OutputCollector {
  stdout = "";
  stderr = "";
  readonly displays: DisplayOutput[] = [];
  private displayBytes = 0;
  private droppedText = 0;
  private droppedDisplays = 0;

  constructor(
    private readonly textLimitBytes: number,
    private readonly forward?: (event: OutputEvent) => void,
  ) {}

  readonly add = (event: OutputEvent): void => {
    if (event.type === "display") {
      const { png, page, csv } = event.display;
      const size = (png?.length ?? 0) + (page?.length ?? 0) + (csv?.length ?? 0);
      if (this.displays.length >= MAX_DISPLAYS || this.displayBytes + size > MAX_DISPLAY_BYTES_TOTAL) {
        this.droppedDisplays += 1;
        return;
      }
      this.displayBytes += size;
      this.displays.push(event.display);
    } else {
      const room = this.textLimitBytes - this.stdout.length - this.stderr.length;
      if (room <= 0) {
        this.droppedText += event.text.length;
        return;
      }
      const kept = event.text.length > room ? event.text.slice(0, room) : event.text;
      this.droppedText += event.text.length - kept.length;
      if (event.type === "stdout") this.stdout += kept;
      else this.stderr += kept;
      event = { type: event.type, text: kept };
    }
    try {
      this.forward?.(event);
    } catch {
      // A faulty listener must not lose the run's result.
    }
  };

  get images(): Buffer[] {
    return this.displays.flatMap((d) => (d.png ? [d.png] : []));
  }

  notices(): string[] {
    const notices: string[] = [];
    if (this.droppedText > 0) notices.push(`${this.droppedText} more characters of output were not kept.`);
    if (this.droppedDisplays > 0)
      notices.push(`${this.droppedDisplays} more images or displays were not kept.`);
    return notices;
  }
}
