/**
 * Renders the bot's reply events in a terminal, or gathers them into one JSON transcript,
 * saving images and files into --out as they arrive.
 */

import { FolderWriter } from "../files/save-to-folder.ts";
import type { ReplyEvent } from "../present/reply-events.ts";
import { fitTable, tableNote } from "../present/table-text.ts";

export interface AskTranscript {
  conversation: string | null;
  status: "done" | "failed";
  /** The assistant's messages, in order; the last one is usually the answer. */
  messages: string[];
  codeRuns: Array<{
    code: string;
    status: string | null;
    stdout: string;
    stderr: string;
    error: { name: string; value: string } | null;
    durationMs: number | null;
  }>;
  images: Array<{ name: string; savedTo: string | null; width: number | null; height: number | null }>;
  files: Array<{ name: string; savedTo: string | null; size: number; mime: string }>;
  notices: string[];
  errors: Array<{ code: string; text: string }>;
}

export class AskRecorder {
  readonly transcript: AskTranscript;
  private readonly writer: FolderWriter | null;
  private streaming = false;

  constructor(
    conversation: string | null,
    outDir: string | null,
    private readonly live: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } | null,
  ) {
    this.writer = outDir ? new FolderWriter(outDir) : null;
    this.transcript = {
      conversation,
      status: "done",
      messages: [],
      codeRuns: [],
      images: [],
      files: [],
      notices: [],
      errors: [],
    };
  }

  readonly sink = async (event: ReplyEvent): Promise<void> => {
    const t = this.transcript;
    const out = this.live?.stdout;
    const err = this.live?.stderr;
    switch (event.type) {
      case "text-delta":
        this.streaming = true;
        out?.write(event.text);
        return;
      case "text":
        t.messages.push(event.text);
        if (!this.streaming) out?.write(event.text);
        out?.write("\n");
        this.streaming = false;
        return;
      case "code":
        t.codeRuns.push({
          code: event.code,
          status: null,
          stdout: "",
          stderr: "",
          error: null,
          durationMs: null,
        });
        err?.write(`\n── running ──\n${event.code}\n──────────\n`);
        return;
      case "code-result": {
        const run = t.codeRuns.at(-1);
        if (run) {
          run.status = event.run.status;
          run.stdout = event.run.stdout;
          run.stderr = event.run.stderr;
          run.error = event.run.error ? { name: event.run.error.name, value: event.run.error.value } : null;
          run.durationMs = Math.round(event.run.durationMs);
        }
        if (event.run.stdout) err?.write(event.run.stdout);
        if (event.run.error) err?.write(`${event.run.error.name}: ${event.run.error.value}\n`);
        err?.write(`(${event.run.status}, ${Math.round(event.run.durationMs)} ms)\n`);
        return;
      }
      case "image": {
        const savedTo = this.writer ? await this.writer.save(event.name, event.data) : null;
        t.images.push({ name: event.name, savedTo, width: event.width, height: event.height });
        err?.write(`image ${event.name}${savedTo ? ` saved to ${savedTo}` : " (use --out DIR to save)"}\n`);
        return;
      }
      case "file": {
        const savedTo = this.writer ? await this.writer.save(event.name, event.data) : null;
        t.files.push({ name: event.name, savedTo, size: event.data.length, mime: event.mime });
        err?.write(`file ${event.name}${savedTo ? ` saved to ${savedTo}` : " (use --out DIR to save)"}\n`);
        return;
      }
      case "table": {
        // A terminal shows what the kernel sent; the whole table goes to --out as CSV.
        const shown = fitTable(event.table, () => true, 160);
        const note = tableNote(event.table, shown, event.csv?.name ?? null);
        err?.write(`${shown?.text ?? ""}\n${note ? `${note}\n` : ""}`);
        if (event.csv) {
          const savedTo = this.writer ? await this.writer.save(event.csv.name, event.csv.data) : null;
          t.files.push({ name: event.csv.name, savedTo, size: event.csv.data.length, mime: "text/csv" });
        }
        return;
      }
      case "notice":
        t.notices.push(event.text);
        err?.write(`note: ${event.text}\n`);
        return;
      case "error":
        t.errors.push({ code: event.code, text: event.text });
        err?.write(`error: ${event.text}\n`);
        return;
      case "status":
        if (event.status === "failed") t.status = "failed";
        if (event.status === "queued")
          err?.write("(waiting for the previous request in this conversation)\n");
        return;
    }
  };
}
