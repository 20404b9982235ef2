/**
 * What the agent accepts from one model answer: a model that loops or is steered by hostile
 * input can send megabytes of "code" or hundreds of calls at once. Each limit keeps the run,
 * the sandbox and the database bounded, and each refusal is told: to the model as the call's
 * result (so it can send less), and to the person as a notice.
 */
import type { ToolCallRecord } from "../store/types.ts";

/** Far more than any real script (about 25,000 tokens), far less than what would hurt. */
export const MAX_TOOL_ARGUMENT_CHARS = 100_000;
/** A tool name is a short identifier; anything longer is noise worth no memory. */
export const MAX_TOOL_NAME_CHARS = 200;
/** Runs per model answer; the rest are answered "not run" so the model can ask again. */
export const MAX_TOOL_CALLS_PER_TURN = 10;
/** How much of a refused call's arguments is kept in history: enough to see what it was. */
const KEPT_CHARS = 1_000;

/** A tool call as the stream delivered it, with how long its arguments really were. */
export interface ReceivedToolCall extends ToolCallRecord {
  /**
   * The full length streamed, when the model client capped `arguments` as it arrived;
   * absent means `arguments` is whole (a client that does not cap is still checked).
   */
  argumentChars?: number;
}

function fullLength(call: ReceivedToolCall): number {
  return call.argumentChars ?? call.arguments.length;
}

export function isOversized(call: ReceivedToolCall): boolean {
  return fullLength(call) > MAX_TOOL_ARGUMENT_CHARS;
}

/** The record stored and sent back to the model: refused arguments are cut, and say so. */
export function storedCall(call: ReceivedToolCall, keepWhole: boolean): ToolCallRecord {
  const record = { id: call.id, name: call.name, arguments: call.arguments };
  if (keepWhole && !isOversized(call)) return record;
  if (fullLength(call) <= KEPT_CHARS) return record;
  const cut = `${call.arguments.slice(0, KEPT_CHARS)}… [cut by the bot: ${fullLength(call).toLocaleString("en-US")} characters in all]`;
  return { ...record, arguments: cut };
}

export function oversizedProblem(call: ReceivedToolCall): string {
  return (
    `Nothing ran: the call's arguments were ${fullLength(call).toLocaleString("en-US")} characters long, ` +
    `and the most I accept is ${MAX_TOOL_ARGUMENT_CHARS.toLocaleString("en-US")}. Send shorter code: ` +
    "generate large data in a loop or read it from a file in /mnt/data instead of writing it out."
  );
}

export function oversizedNotice(call: ReceivedToolCall): string {
  return (
    `The model sent ${fullLength(call).toLocaleString("en-US")} characters of code in one call ` +
    `(the limit is ${MAX_TOOL_ARGUMENT_CHARS.toLocaleString("en-US")}); it was not run, and the model was asked for shorter code.`
  );
}

export function notRunProblem(total: number): string {
  return (
    `Not run: you sent ${total} tool calls in one answer and I run at most ${MAX_TOOL_CALLS_PER_TURN} per answer. ` +
    "If this one is still needed, call it again in your next answer."
  );
}

export function tooManyCallsNotice(total: number): string {
  return (
    `The model asked to run ${total} pieces of code at once; I ran the first ${MAX_TOOL_CALLS_PER_TURN} ` +
    `(the limit per answer) and told it the other ${total - MAX_TOOL_CALLS_PER_TURN} were not run.`
  );
}
