/**
 * Usage at the door of a request: a person over a limit gets one clear reply and nothing
 * else; anyone else gets a usage row in the store before the queue, so a waiting or running
 * request already counts against the hourly limit and a crash leaves an honest row.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { ReplySink } from "../present/reply-events.ts";
import type { RequestMeter } from "../usage/request-meter.ts";
import type { UsageGuard, UsageUser } from "../usage/usage-guard.ts";
import { overLimitText } from "../usage/usage-text.ts";
import { authorKeyString, type IncomingMessage } from "./incoming-message.ts";
import { userTextFor } from "./user-messages.ts";

/** Limits count per person and platform: user ids are unique within one platform only. */
export function usageUser(message: Pick<IncomingMessage, "conversation" | "author">): UsageUser {
  return { platform: message.conversation.platform, userId: message.author.id };
}

export interface UsageAdmissionInput {
  message: IncomingMessage;
  key: string;
  /** Admins are exempt from limits; their usage is still recorded. */
  admin: boolean;
  startedAt: number;
  modelName: string | null;
  /** Where a refusal or a failure is said; the request goes no further then. */
  reply: ReplySink;
  log: Logger;
}

/**
 * The request's meter, or "refused" / "failed" when it must not go on and has been answered.
 * A request admitted here runs to its end even if it crosses a limit on the way: limits
 * decide who may start, and never cut a run short.
 */
export async function admitUsage(
  guard: UsageGuard,
  input: UsageAdmissionInput,
): Promise<RequestMeter | "refused" | "failed"> {
  const { message, startedAt, log } = input;
  const user = usageUser(message);
  try {
    const over = input.admin ? null : await guard.check(user, startedAt);
    if (over) {
      const resetAt = over.resetAt === null ? null : new Date(over.resetAt).toISOString();
      log.info(
        { user: authorKeyString(message), limit: over.limit, max: over.max, used: over.used, resetAt },
        "request refused: over a usage limit",
      );
      await input.reply({ type: "error", code: "over_limit", text: overLimitText(over, startedAt) });
      return "refused";
    }
    const start = {
      id: randomUUID(),
      ...user,
      userName: message.author.name ?? null,
      conversationKey: input.key,
      startedAt,
    };
    return await guard.begin(start, input.modelName);
  } catch (error) {
    // The store behind limits is the one behind history: the request could not go on anyway.
    log.error({ err: error }, "could not check or record usage");
    await input.reply({ type: "error", ...userTextFor(error) });
    return "failed";
  }
}
