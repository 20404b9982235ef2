/**
 * Checks one streamed chunk before it is read. The SDK hands over whatever JSON the server
 * sent, typed but unchecked; a chunk of the wrong shape would otherwise surface as a
 * TypeError ("Cannot read properties of undefined") that tells nobody anything. Fields that
 * are missing are allowed, as OpenAI-compatible servers leave out different ones; a field of
 * the wrong type is not.
 */
import { isJsonObject } from "../json-object.ts";

/** Null when the chunk can be read; otherwise what is wrong with it, in a few words. */
export function checkChunk(chunk: unknown): string | null {
  if (!isJsonObject(chunk)) return "an event that is not a JSON object";
  const choices = chunk.choices;
  if (choices === undefined || choices === null) return null;
  if (!Array.isArray(choices)) return "a chunk whose choices are not a list";
  // Only the first choice is read: the bot asks for one (n = 1).
  const choice: unknown = choices[0];
  if (choice === undefined) return null;
  if (!isJsonObject(choice)) return "a chunk whose choice is not an object";
  if (!optional(choice.finish_reason, "string")) return "a chunk whose finish_reason is not text";
  const delta = choice.delta;
  if (delta === undefined || delta === null) return null;
  if (!isJsonObject(delta)) return "a chunk whose delta is not an object";
  if (!optional(delta.content, "string")) return "a chunk whose content is not text";
  const calls = delta.tool_calls;
  if (calls === undefined || calls === null) return null;
  if (!Array.isArray(calls)) return "a chunk whose tool_calls are not a list";
  return calls.every(readableCall) ? null : "a tool call of the wrong shape";
}

function readableCall(call: unknown): boolean {
  if (!isJsonObject(call)) return false;
  if (!optional(call.index, "number") || !optional(call.id, "string")) return false;
  const fn = call.function;
  if (fn === undefined || fn === null) return true;
  return isJsonObject(fn) && optional(fn.name, "string") && optional(fn.arguments, "string");
}

function optional(value: unknown, type: "string" | "number"): boolean {
  return value === undefined || value === null || typeof value === type;
}
