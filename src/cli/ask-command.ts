/** `code-interpreter-bot ask`: the whole agent from a terminal, to check a model configuration. */

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { conversationKeyString } from "../bot/incoming-message.ts";
import { PLAIN_MARKDOWN } from "../present/chat-formatting.ts";
import type { BotRuntime } from "../runtime.ts";
import { AskRecorder } from "./ask-transcript.ts";
import type { CliIo } from "./exec-command.ts";
import { checkName, UsageError } from "./usage-error.ts";

export async function askCommand(args: string[], runtime: BotRuntime, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      conversation: { type: "string" },
      attach: { type: "string", multiple: true },
      out: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const prompt = positionals.join(" ").trim();
  const attachments = values.attach ?? [];
  if (!prompt && attachments.length === 0) throw new UsageError("ask needs a PROMPT (and/or --attach FILE)");
  checkName("--conversation", values.conversation);
  const files = await Promise.all(
    attachments.map(async (file) => ({ name: path.basename(file), data: await readFile(file) })),
  );
  const name = values.conversation ?? null;
  const thread = name ?? `once-${randomUUID()}`;
  const recorder = new AskRecorder(name, values.out ?? null, values.json ? null : io);
  const controller = new AbortController();
  const conversation = { platform: "cli", workspace: "local", channel: "ask", thread };
  const onSigint = () => runtime.bot.cancel(conversation) || controller.abort();
  process.once("SIGINT", onSigint);
  try {
    await runtime.bot.handle(
      {
        deliveryId: randomUUID(),
        conversation,
        author: { id: "cli", name: "admin" },
        text: prompt,
        attachments: files.map((file) => ({
          name: file.name,
          mimeType: "application/octet-stream",
          size: file.data.length,
          fetch: async () => file.data,
        })),
        addressed: true,
      },
      recorder.sink,
      PLAIN_MARKDOWN,
    );
  } finally {
    process.off("SIGINT", onSigint);
    // A one-off conversation leaves no sandbox behind.
    if (name === null) await runtime.sandbox.close(conversationKeyString(conversation));
  }
  if (values.json) io.stdout.write(`${JSON.stringify(recorder.transcript, null, 2)}\n`);
  return recorder.transcript.status === "done" && recorder.transcript.errors.length === 0 ? 0 : 1;
}
