/**
 * Pure builders for the Chat Completions wire format: the `chat.completion` body, the
 * `chat.completion.chunk` sequence of a stream, and its SSE framing. Typed with the SDK's
 * own response types so that a drift from the API reference fails to compile.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";

export interface CompletionContext {
  id: string;
  /** Unix seconds; every chunk of one completion carries the same value, as OpenAI's do. */
  created: number;
  model: string;
  promptTokens: number;
}

export interface ResolvedReply {
  content: string;
  toolCalls: ReadonlyArray<{ id: string; name: string; arguments: string }>;
  chunkSize: number;
  /** False when the step suppressed usage; the request decides whether it is wanted. */
  usage: boolean;
}

type Delta = ChatCompletionChunk.Choice.Delta;
type FinishReason = ChatCompletion.Choice["finish_reason"];

/** `stream.ts` in openai-node splits events on a blank line and reads the `data:` field. */
export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = "data: [DONE]\n\n";

/** A deterministic stand-in for a tokenizer: tests need stable numbers, not real counts. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Splits by code point so a fragment never ends in half a surrogate pair. Walks the string
 * instead of `Array.from` on it: a 10 MB tool call would otherwise become ten million strings
 * and block the event loop the bot under test shares with this fake for seconds.
 */
export function splitText(text: string, size: number): string[] {
  const step = Math.max(1, Math.floor(size));
  const pieces: string[] = [];
  let start = 0;
  let count = 0;
  for (let index = 0; index < text.length; ) {
    index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
    count += 1;
    if (count === step) {
      pieces.push(text.slice(start, index));
      start = index;
      count = 0;
    }
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/**
 * OpenAI sends `content: null` when the model only called tools, and a string otherwise
 * (empty for an empty answer); apps that test `content === null` depend on the difference.
 */
function messageContent(reply: Pick<ResolvedReply, "content" | "toolCalls">): string | null {
  return reply.content === "" && reply.toolCalls.length > 0 ? null : reply.content;
}

function finishReason(reply: ResolvedReply): FinishReason {
  return reply.toolCalls.length > 0 ? "tool_calls" : "stop";
}

function usageFor(ctx: CompletionContext, reply: ResolvedReply): CompletionUsage {
  const generated = reply.content + reply.toolCalls.map((call) => call.name + call.arguments).join("");
  const completionTokens = estimateTokens(generated);
  return {
    prompt_tokens: ctx.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: ctx.promptTokens + completionTokens,
  };
}

function chunk(
  ctx: CompletionContext,
  delta: Delta,
  finish: FinishReason | null = null,
): ChatCompletionChunk {
  return {
    id: ctx.id,
    object: "chat.completion.chunk",
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** The role chunk and the content fragments: the whole of a stream that stalls later. */
export function openingChunks(
  ctx: CompletionContext,
  reply: Pick<ResolvedReply, "content" | "toolCalls" | "chunkSize">,
): ChatCompletionChunk[] {
  const opening = chunk(ctx, { role: "assistant", content: messageContent(reply) === null ? null : "" });
  const fragments = splitText(reply.content, reply.chunkSize).map((text) => chunk(ctx, { content: text }));
  return [opening, ...fragments];
}

/**
 * Every chunk of a finished stream, in OpenAI's order. A tool call opens with its id, type
 * and name and empty arguments; later fragments carry only `index` and `function.arguments`,
 * which is why clients must accumulate by `index`.
 */
export function streamChunks(
  ctx: CompletionContext,
  reply: ResolvedReply,
  includeUsage: boolean,
): ChatCompletionChunk[] {
  const chunks = openingChunks(ctx, reply);
  reply.toolCalls.forEach((call, index) => {
    chunks.push(
      chunk(ctx, {
        tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
      }),
    );
    for (const fragment of splitText(call.arguments, reply.chunkSize)) {
      chunks.push(chunk(ctx, { tool_calls: [{ index, function: { arguments: fragment } }] }));
    }
  });
  chunks.push(chunk(ctx, {}, finishReason(reply)));
  if (!includeUsage || !reply.usage) return chunks;
  // With `include_usage`, OpenAI puts `usage: null` on every chunk and adds one last chunk
  // with no choices that carries the totals.
  const withNullUsage = chunks.map((each) => ({ ...each, usage: null }));
  const totals: ChatCompletionChunk = { ...chunk(ctx, {}), choices: [], usage: usageFor(ctx, reply) };
  return [...withNullUsage, totals];
}

export function completionBody(ctx: CompletionContext, reply: ResolvedReply): ChatCompletion {
  const message: ChatCompletionMessage = {
    role: "assistant",
    content: messageContent(reply),
    refusal: null,
    ...(reply.toolCalls.length > 0
      ? {
          tool_calls: reply.toolCalls.map((call) => ({
            id: call.id,
            type: "function" as const,
            function: { name: call.name, arguments: call.arguments },
          })),
        }
      : {}),
  };
  return {
    id: ctx.id,
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    ...(reply.usage ? { usage: usageFor(ctx, reply) } : {}),
  };
}
