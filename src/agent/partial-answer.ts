/**
 * The text one model call has streamed so far. When the call then fails (a dropped connection,
 * a stall, an unreadable stream), what the person already saw is closed with a note that it was
 * cut off: left alone it would read as a whole answer, or as one still being written, and a
 * retry's answer would be shown inside it.
 */
import type { ReplyEvent } from "../present/reply-events.ts";

export const CUT_OFF_NOTE = "_(cut off: the model's answer broke off here)_";

export class PartialAnswer {
  private text = "";

  add(delta: string): void {
    this.text += delta;
  }

  /**
   * The message that ends the cut-off text, or null when nothing was streamed; starts over,
   * so that a retry streams into a message of its own.
   */
  cutOff(): Extract<ReplyEvent, { type: "text" }> | null {
    const text = this.text.trimEnd();
    this.text = "";
    return text ? { type: "text", text: `${text}\n\n${CUT_OFF_NOTE}` } : null;
  }
}
