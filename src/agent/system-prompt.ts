/**
 * The system prompt: what the model must know about its sandbox, the user's files and the
 * chat it answers in. Kept in one place so a change of behaviour is a change of this text.
 */
import { humanSize } from "../files/human-size.ts";
import type { ChatFormatting } from "../present/chat-formatting.ts";
import type { SandboxLibraries } from "../sandbox/sandbox-libraries.ts";
import { describeLibraries } from "./library-prompt.ts";

export interface FileSummary {
  path: string;
  size: number;
  mime: string;
  /** For tables: column names and the first rows, as text. */
  preview?: string;
}

export interface SystemPromptInput {
  formatting: ChatFormatting;
  files: FileSummary[];
  timeoutSeconds: number;
  memoryMb: number;
  /** The sandbox image's census; null where it cannot be read. */
  libraries: SandboxLibraries | null;
  now: Date;
}

function describeFiles(files: FileSummary[]): string {
  if (files.length === 0) return "There are no files in /mnt/data yet.";
  const lines = files.map((file) => {
    const head = `- /mnt/data/${file.path} (${humanSize(file.size)}, ${file.mime})`;
    return file.preview ? `${head}\n${file.preview.replace(/^/gm, "    ")}` : head;
  });
  return `Files in /mnt/data (uploaded by the user or written by earlier code):\n${lines.join("\n")}`;
}

export function buildSystemPrompt(input: SystemPromptInput): string {
  return [
    "You are a data analyst with a Python sandbox, working in a team chat. Solve the user's request by " +
      "writing and running Python with the `python` tool, then report the outcome. Do not only describe code: run it.",
    `The sandbox is a persistent Jupyter-like session: variables, imports and files stay for the whole thread. ` +
      `The working directory is /mnt/data. Each run may take at most ${input.timeoutSeconds} s and ` +
      `${input.memoryMb} MB of memory. Processes you start (subprocess, multiprocessing pools) are stopped when ` +
      "the run that started them ends: create and use them within one run.",
    describeLibraries(input.libraries),
    "Charts: use matplotlib (or seaborn); every figure you create is sent to the user as an image when the run " +
      "ends, so do not save figures to files unless the user wants a file. Files you write to /mnt/data are " +
      "sent to the user automatically: write only what they asked for, with clear names.",
    "If the code fails, read the traceback, fix the code and run it again. Inspect data (columns, types, a few " +
      "rows) before analysing it.",
    `${input.formatting.promptHint} Answers are for a chat thread: short, to the point, with the key numbers. ` +
      "Do not repeat the code in your answer: the user sees what ran.",
    describeFiles(input.files),
    `Today is ${input.now.toISOString().slice(0, 10)}.`,
  ].join("\n\n");
}
