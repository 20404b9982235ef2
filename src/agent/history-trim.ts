/**
 * Fits the history into a token budget, newest first. An assistant message with tool calls
 * and the tool results answering it travel together: the API rejects one without the other.
 */
import type { ConversationMessage } from "../store/types.ts";

/** About four characters per token: rough, cheap, and errs on the side of fitting. */
export function estimateTokens(message: ConversationMessage): number {
  let chars = 0;
  if (message.role === "assistant") {
    chars += message.content?.length ?? 0;
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  } else {
    chars += message.content.length;
  }
  return Math.ceil(chars / 4) + 4;
}

function units(messages: ConversationMessage[]): ConversationMessage[][] {
  const grouped: ConversationMessage[][] = [];
  for (const message of messages) {
    const last = grouped.at(-1);
    if (message.role === "tool" && last) last.push(message);
    else grouped.push([message]);
  }
  return grouped;
}

export interface TrimmedHistory {
  kept: ConversationMessage[];
  droppedCount: number;
}

export function trimHistory(messages: ConversationMessage[], budgetTokens: number): TrimmedHistory {
  const grouped = units(messages);
  const keptUnits: ConversationMessage[][] = [];
  let used = 0;
  for (let index = grouped.length - 1; index >= 0; index -= 1) {
    const unit = grouped[index] ?? [];
    const cost = unit.reduce((sum, message) => sum + estimateTokens(message), 0);
    // The newest unit is always kept: without it there is nothing to answer.
    if (keptUnits.length > 0 && used + cost > budgetTokens) break;
    keptUnits.unshift(unit);
    used += cost;
  }
  let kept = keptUnits.flat();
  // Never start with orphaned tool results.
  while (kept[0]?.role === "tool") kept = kept.slice(1);
  return { kept, droppedCount: messages.length - kept.length };
}
