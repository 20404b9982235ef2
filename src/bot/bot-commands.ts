/**
 * The one-word commands, on every platform: `help`, `usage` and the admins' `status` answer
 * from what the bot knows and start no sandbox; `files` and `reset` act on the conversation's
 * sandbox.
 */
import type { ReplySink } from "../present/reply-events.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Store } from "../store/types.ts";
import type { UsageGuard, UsageUser } from "../usage/usage-guard.ts";
import type { BotCommand } from "./incoming-message.ts";
import { STATUS_FOR_ADMINS_TEXT } from "./status-report.ts";
import { HELP_TEXT } from "./user-messages.ts";

export interface CommandContext {
  /** The conversation's key. */
  key: string;
  user: UsageUser;
  /** Admins are told that limits do not apply to them. */
  admin: boolean;
  store: Store;
  sandbox: Sandbox;
  usage: UsageGuard;
  /** The admin's `status` answer, asked for only when an admin asks. */
  status: () => Promise<string>;
  emit: ReplySink;
}

export async function runCommand(command: BotCommand, context: CommandContext): Promise<void> {
  const { emit } = context;
  switch (command) {
    case "help":
      return void (await emit({ type: "text", text: HELP_TEXT }));
    case "usage":
      return void (await emit({
        type: "text",
        text: await context.usage.summary(context.user, context.admin),
      }));
    case "status":
      return void (await emit({
        type: "text",
        text: context.admin ? await context.status() : STATUS_FOR_ADMINS_TEXT,
      }));
    case "reset": {
      const session = await context.sandbox.acquire(context.key);
      await session.reset(true);
      await context.store.clearMessages(context.key);
      return void (await emit({
        type: "text",
        text: "Started over: this thread's variables, files and history are cleared.",
      }));
    }
    case "files": {
      const session = await context.sandbox.acquire(context.key);
      const files = await session.listFiles();
      const list = files.map((f) => `• /mnt/data/${f.path} (${f.size} bytes)`).join("\n");
      return void (await emit({
        type: "text",
        text: files.length ? `Files in /mnt/data:\n${list}` : "There are no files in /mnt/data yet.",
      }));
    }
  }
}
