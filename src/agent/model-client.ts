/**
 * One streamed Chat Completions call through the `openai` package, with the deadlines the
 * SDK does not give: an idle timeout inside the stream (its own timeout covers only the
 * headers), and retries we control (the SDK would sleep for any Retry-After, unabortable).
 */
import OpenAI, { type ClientOptions } from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import type { ModelConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { checkChunk } from "./model-chunk.ts";
import { describeModelError, ModelCallError, retryDelayMs, unreadableStream } from "./model-errors.ts";
import type { ModelAttempt, ModelObserver } from "./model-observer.ts";
import { MAX_TOOL_ARGUMENT_CHARS, MAX_TOOL_NAME_CHARS, type ReceivedToolCall } from "./tool-call-limits.ts";

/** The tokens one model call used, as the API reported them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelTurn {
  content: string;
  /** Arguments and names are capped as they stream in; `argumentChars` tells the real length. */
  toolCalls: ReceivedToolCall[];
  finishReason: string | null;
  /** Null when the server sent no usage figures (some OpenAI-compatible servers never do). */
  usage: TokenUsage | null;
}

export interface ModelRequest {
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionTool[];
  signal: AbortSignal;
  onTextDelta: (text: string) => void;
  /** Told before each retry, so the user sees why nothing happens for a while. */
  onRetry?: (message: string) => void;
}

export interface ChatModel {
  readonly name: string;
  complete(request: ModelRequest): Promise<ModelTurn>;
  /** Adds an observer (metrics); it hears about every attempt from now on, retries included. */
  observe?(observer: ModelObserver): void;
}

export interface ChatModelOptions {
  config: ModelConfig & { apiKey: string };
  logger: Logger;
  /** For tests and proxies; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const MAX_RETRY_WAIT_MS = 60_000;

class StreamIdle extends Error {}

export function createChatModel(options: ChatModelOptions): ChatModel {
  const { config, logger } = options;
  let toldNoUsage = false;
  const observers: ModelObserver[] = [];
  const tell = (attempt: ModelAttempt) => {
    for (const observer of observers) {
      try {
        observer.attemptFinished(attempt);
      } catch (error) {
        logger.warn({ err: error }, "a model observer failed");
      }
    }
  };
  const client = new OpenAI({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    timeout: config.requestTimeoutMs,
    maxRetries: 0,
    // The SDK logs to the console by default (an unreadable stream event, for one); ours is pino.
    logLevel: "warn",
    logger: sdkLogger(logger),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  async function once(request: ModelRequest): Promise<ModelTurn> {
    const idle = new AbortController();
    const signal = AbortSignal.any([request.signal, idle.signal]);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new StreamIdle()), config.streamIdleTimeoutMs);
    };
    try {
      // Until the headers arrive the SDK's own timeout applies; the idle timer covers the body.
      const stream = await client.chat.completions.create(
        {
          model: config.model,
          messages: request.messages,
          tools: request.tools,
          stream: true,
          // Adds a last chunk with no choices that carries the call's token counts.
          stream_options: { include_usage: true },
        },
        { signal },
      );
      arm();
      const turn = new TurnAccumulator();
      try {
        for await (const chunk of stream) {
          arm();
          const problem = checkChunk(chunk);
          if (problem) throw unreadableStream(config, problem);
          const text = turn.add(chunk);
          if (text) request.onTextDelta(text);
        }
      } catch (error) {
        // The SDK's JSON.parse of an event fails with a bare SyntaxError.
        if (error instanceof SyntaxError) throw unreadableStream(config, "an event that is not JSON", error);
        throw error;
      }
      // An abort once the body streams ends the loop quietly instead of throwing: check here.
      if (request.signal.aborted) throw new OpenAI.APIUserAbortError();
      if (idle.signal.aborted) throw stalled(config);
      const result = turn.result();
      if (result.usage === null && !toldNoUsage) {
        // Once per model client: every call would repeat it, and the admin only needs to know once.
        toldNoUsage = true;
        logger.warn(
          { model: config.model, baseURL: config.baseURL },
          "the model server sent no token usage: token figures, token limits and cost estimates will miss these calls",
        );
      }
      return result;
    } catch (error) {
      if (idle.signal.aborted && !request.signal.aborted) throw stalled(config, error);
      throw describeModelError(error, config);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name: config.model,
    observe(observer) {
      observers.push(observer);
    },
    async complete(request) {
      for (let attempt = 0; ; attempt += 1) {
        const startedAt = performance.now();
        try {
          const turn = await once(request);
          tell({
            outcome: "ok",
            durationMs: performance.now() - startedAt,
            inputTokens: turn.usage?.inputTokens ?? null,
            outputTokens: turn.usage?.outputTokens ?? null,
          });
          return turn;
        } catch (error) {
          const failure = error instanceof ModelCallError ? error : describeModelError(error, config);
          tell({
            outcome: failure.code,
            durationMs: performance.now() - startedAt,
            inputTokens: null,
            outputTokens: null,
          });
          const wait =
            failure.retryable && attempt < config.maxRetries ? retryDelayMs(failure, attempt) : null;
          if (wait === null || wait > MAX_RETRY_WAIT_MS || request.signal.aborted) throw failure;
          logger.warn(
            { code: failure.code, attempt: attempt + 1, waitMs: wait },
            "model call failed; retrying",
          );
          request.onRetry?.(
            `${failure.shortReason}; trying again in ${Math.max(1, Math.round(wait / 1000))} s.`,
          );
          await abortableSleep(wait, request.signal);
        }
      }
    },
  };
}

function stalled(config: ModelConfig, cause?: unknown): ModelCallError {
  return new ModelCallError(
    "model_stalled",
    `The model stopped sending its answer (nothing for ${Math.round(config.streamIdleTimeoutMs / 1000)} s), so the request was abandoned. Try again; if it keeps happening, the model server may be overloaded.`,
    false,
    cause,
  );
}

/** The SDK's log calls, as pino lines: the message first, anything else under `detail`, cut short. */
function sdkLogger(logger: Logger): ClientOptions["logger"] {
  const log =
    (level: "error" | "warn" | "info" | "debug") =>
    (message: string, ...rest: unknown[]) => {
      const detail = rest.map((part) => (typeof part === "string" ? part.slice(0, 500) : part));
      logger[level]({ component: "openai-sdk", ...(detail.length ? { detail } : {}) }, message);
    };
  // The SDK's errors are about one call, which our own code reports and words for people.
  return { error: log("warn"), warn: log("warn"), info: log("debug"), debug: log("debug") };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Rebuilds one assistant message from stream chunks; tool call arguments come in fragments. */
class TurnAccumulator {
  private content = "";
  private finishReason: string | null = null;
  private readonly calls = new Map<number, ReceivedToolCall>();
  private usage: TokenUsage | null = null;

  add(chunk: ChatCompletionChunk): string {
    // Usage arrives on a last chunk whose `choices` is empty; other chunks carry `usage: null`.
    const { prompt_tokens: input, completion_tokens: output } = chunk.usage ?? {};
    if (typeof input === "number" && typeof output === "number") {
      this.usage = { inputTokens: input, outputTokens: output };
    }
    // Some compatible servers leave `choices` out of that chunk altogether rather than empty.
    const choice = chunk.choices?.[0];
    if (!choice) return "";
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    // `delta` is left out by some compatible servers on the chunk that only finishes (model-chunk.ts).
    const delta: Partial<ChatCompletionChunk.Choice.Delta> = choice.delta ?? {};
    for (const call of delta.tool_calls ?? []) {
      const existing = this.calls.get(call.index) ?? { id: "", name: "", arguments: "", argumentChars: 0 };
      if (call.id) existing.id = call.id.slice(0, MAX_TOOL_NAME_CHARS);
      if (call.function?.name) {
        existing.name = (existing.name + call.function.name).slice(0, MAX_TOOL_NAME_CHARS);
      }
      const fragment = call.function?.arguments;
      if (fragment) {
        // Counted in full but kept only up to the cap: a 10 MB argument never sits in memory whole.
        existing.argumentChars = (existing.argumentChars ?? 0) + fragment.length;
        const room = MAX_TOOL_ARGUMENT_CHARS + 1 - existing.arguments.length;
        if (room > 0) existing.arguments += fragment.slice(0, room);
      }
      this.calls.set(call.index, existing);
    }
    const text = delta.content ?? "";
    this.content += text;
    return text;
  }

  result(): ModelTurn {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    return { content: this.content, toolCalls, finishReason: this.finishReason, usage: this.usage };
  }
}
