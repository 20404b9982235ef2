/**
 * A scripted OpenAI-compatible Chat Completions server on 127.0.0.1, for driving the real
 * `openai` client over real HTTP: streaming, retries, auth and stalls then behave exactly as
 * they would against the real API, which a mocked client cannot show.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import {
  type CompletionContext,
  completionBody,
  estimateTokens,
  openingChunks,
  type ResolvedReply,
  SSE_DONE,
  sseData,
  streamChunks,
} from "./chunks.ts";
import type { CustomStep, ErrorStep, FakeStep, RecordedRequest, ReplyStep } from "./steps.ts";

export type {
  CustomStep,
  DisconnectStep,
  ErrorStep,
  FakeStep,
  FakeToolCall,
  MalformedStep,
  RecordedRequest,
  ReplyStep,
  StallStep,
} from "./steps.ts";

export const DEFAULT_FAKE_API_KEY = "sk-fake-test-key";

export interface FakeOpenAIOptions {
  apiKey?: string;
  /** Listed by `GET /v1/models` alongside every model a request has named. */
  models?: string[];
}

export interface FakeOpenAI {
  /** Ends in `/v1`, as the SDK's `baseURL` option expects. */
  readonly baseURL: string;
  readonly apiKey: string;
  readonly requests: RecordedRequest[];
  enqueue(...steps: FakeStep[]): void;
  /** Steps not yet consumed; a test that scripted exactly what happened ends with 0. */
  pending(): number;
  /** Destroys every socket, stalled streams included, so no handle outlives the test. */
  close(): Promise<void>;
}

type Answer = Exclude<FakeStep, CustomStep>;

const DEFAULT_CHUNK_SIZE = 8;
/** A custom handler returning custom steps forever is a test bug; fail instead of spinning. */
const MAX_CUSTOM_DEPTH = 20;

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? DEFAULT_FAKE_API_KEY;
  const queue: FakeStep[] = [];
  const requests: RecordedRequest[] = [];
  const models = new Set(options.models ?? []);
  const startedAt = unixSeconds();
  // Aborted by close() so that chunk delays do not keep the event loop alive afterwards.
  const shutdown = new AbortController();
  let completions = 0;
  let toolCalls = 0;
  let responses = 0;

  const server = createServer((req, res) => {
    res.setHeader("x-request-id", `req_fake_${++responses}`);
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, `fake OpenAI: ${describe(error)}`, { shouldRetry: false });
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const body = await readBody(req);
    const authorized = req.headers.authorization === `Bearer ${apiKey}`;
    if (req.method === "POST" && path === "/v1/chat/completions") {
      return chatCompletions(req, res, path, body, authorized);
    }
    if (!authorized) return refuseAuth(res);
    if (req.method === "GET" && path === "/v1/models") {
      const data = [...models].map((id) => ({
        id,
        object: "model",
        created: startedAt,
        owned_by: "fake-openai",
      }));
      return sendJson(res, 200, { object: "list", data });
    }
    sendError(res, 404, `Invalid URL (${req.method ?? "?"} ${path})`, { code: null });
  }

  async function chatCompletions(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: string,
    authorized: boolean,
  ): Promise<void> {
    const body = parseObject(raw);
    if (!body) {
      return sendError(res, 400, "We could not parse the JSON body of your request.", { code: null });
    }
    const record = recordRequest(req, path, body);
    if (!authorized) return refuseAuth(res);
    if (record.model) models.add(record.model);

    record.step = queue.shift();
    if (!record.step) {
      // `x-should-retry: false` stops the SDK from retrying a 500 with backoff, so a missing
      // script fails the test at once instead of after several seconds and extra requests.
      return sendError(res, 500, `fake OpenAI: no scripted response for request #${record.number}`, {
        shouldRetry: false,
      });
    }
    const answer = resolveCustom(record.step, record);
    record.answeredWith = answer;
    return respond(req, res, record, answer);
  }

  function recordRequest(req: IncomingMessage, path: string, body: Record<string, unknown>): RecordedRequest {
    const messages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
    const record: RecordedRequest = {
      number: requests.length + 1,
      method: req.method ?? "",
      path,
      headers: req.headers,
      body,
      model: typeof body.model === "string" ? body.model : "",
      stream: body.stream === true,
      messages,
      step: undefined,
      answeredWith: undefined,
    };
    requests.push(record);
    return record;
  }

  async function respond(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    answer: Answer,
  ): Promise<void> {
    switch (answer.kind) {
      case "reply":
        return reply(res, record, answer);
      case "error":
        if (answer.html !== undefined) return sendHtml(res, answer.status, answer.html, answer);
        return sendError(res, answer.status, answer.message ?? defaultMessage(answer.status), answer);
      case "stall":
        // Non-streaming, or asked to: say nothing at all, so only the client's own timeout or abort ends it.
        if (!record.stream || answer.beforeHeaders) return;
        return writeAll(res, openStream(res, record, answer.afterContent));
      case "disconnect":
        // The content must have left before the cut, or the client would see no answer at all.
        if (record.stream && answer.afterContent !== undefined) {
          await writeAll(res, openStream(res, record, answer.afterContent));
        }
        req.socket.destroy();
        return;
      case "malformed":
        if (!record.stream) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(answer.data);
          return;
        }
        await writeAll(res, openStream(res, record, answer.afterContent));
        res.end(`data: ${answer.data}\n\n${SSE_DONE}`);
        return;
    }
  }

  /** Sends the headers at once and returns the role chunk and `content`'s fragments, as SSE events. */
  function openStream(res: ServerResponse, record: RecordedRequest, content: string | undefined): string[] {
    res.writeHead(200, SSE_HEADERS);
    // Without this the headers would wait for a first write, and the SDK's `create()`
    // (which resolves on headers) would look like a stall before the stream began.
    res.flushHeaders();
    if (content === undefined) return [];
    return openingChunks(context(record), resolveReply({ content })).map(sseData);
  }

  async function reply(res: ServerResponse, record: RecordedRequest, step: ReplyStep): Promise<void> {
    const resolved = resolveReply(step);
    const ctx = context(record);
    if (!record.stream) return sendJson(res, 200, completionBody(ctx, resolved));

    // Headers first, as a real server does: building a huge answer's events (a 10 MB tool call)
    // must not count against the client's timeout, which covers only the headers.
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    const events = [...streamChunks(ctx, resolved, includeUsage(record.body)).map(sseData), SSE_DONE];
    // A client that hangs up mid-stream must stop the writer too, or its delays leak timers.
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    const stop = AbortSignal.any([gone.signal, shutdown.signal]);
    for (const [index, event] of events.entries()) {
      if (step.pause && index === step.pause.afterEvents && !(await resumed(step.pause.until, stop))) return;
      if (index > 0 && step.delayMsBetweenChunks) {
        const slept = await delay(step.delayMsBetweenChunks, true, { signal: stop }).catch(() => false);
        if (!slept) return;
      }
      if (stop.aborted) return;
      res.write(event);
    }
    res.end();
  }

  function resolveReply(step: Omit<ReplyStep, "kind">): ResolvedReply {
    return {
      content: step.content ?? "",
      toolCalls: (step.toolCalls ?? []).map((call) => ({
        id: call.id ?? `call_fake_${++toolCalls}`,
        name: call.name,
        arguments: call.arguments,
      })),
      chunkSize: step.chunkSize ?? DEFAULT_CHUNK_SIZE,
      usage: step.usage ?? true,
    };
  }

  function context(record: RecordedRequest): CompletionContext {
    return {
      id: `chatcmpl-fake-${++completions}`,
      created: unixSeconds(),
      model: record.model,
      promptTokens: estimateTokens(JSON.stringify(record.messages)),
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake OpenAI: no TCP address");

  let closing: Promise<void> | undefined;
  return {
    baseURL: `http://127.0.0.1:${address.port}/v1`,
    apiKey,
    requests,
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    pending: () => queue.length,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        shutdown.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for open requests, and a stalled stream never ends by itself.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
};

function resolveCustom(step: FakeStep, request: RecordedRequest): Answer {
  let current = step;
  for (let depth = 0; current.kind === "custom"; depth += 1) {
    if (depth >= MAX_CUSTOM_DEPTH) {
      throw new Error(`custom step for request #${request.number} kept returning custom steps`);
    }
    current = current.handle(request);
  }
  return current;
}

function includeUsage(body: Readonly<Record<string, unknown>>): boolean {
  const streamOptions = body.stream_options;
  return isRecord(streamOptions) && streamOptions.include_usage === true;
}

function refuseAuth(res: ServerResponse): void {
  sendError(
    res,
    401,
    "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    {
      code: "invalid_api_key",
    },
  );
}

/** OpenAI's error body; the SDK reads `error.message`, `type`, `code` and `param` from it. */
function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Partial<Pick<ErrorStep, "type" | "retryAfterSeconds" | "retryAfterMs" | "shouldRetry">> & {
    code?: string | null | undefined;
  },
): void {
  setRetryHeaders(res, extra);
  const error = {
    message,
    type: extra.type ?? defaultType(status),
    param: null,
    code: extra.code ?? defaultCode(status),
  };
  sendJson(res, status, { error });
}

/** A gateway's error page: the status and retry headers as given, HTML where the API would send JSON. */
function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  extra: Pick<ErrorStep, "retryAfterSeconds" | "retryAfterMs" | "shouldRetry">,
): void {
  setRetryHeaders(res, extra);
  res.writeHead(status, { "content-type": "text/html", "content-length": Buffer.byteLength(html) });
  res.end(html);
}

/** True once `until` settles; false if `stop` comes first (the client left, or the fake closes). */
function resumed(until: Promise<unknown>, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onStop = () => resolve(false);
    stop.addEventListener("abort", onStop, { once: true });
    const go = () => {
      stop.removeEventListener("abort", onStop);
      resolve(true);
    };
    until.then(go, go);
  });
}

/** Writes the events and resolves once they have been handed to the socket. */
function writeAll(res: ServerResponse, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    if (events.length === 0) resolve();
    else res.write(events.join(""), () => resolve());
  });
}

function setRetryHeaders(
  res: ServerResponse,
  extra: Pick<ErrorStep, "retryAfterSeconds" | "retryAfterMs" | "shouldRetry">,
): void {
  if (extra.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(extra.retryAfterSeconds));
  if (extra.retryAfterMs !== undefined) res.setHeader("retry-after-ms", String(extra.retryAfterMs));
  if (extra.shouldRetry !== undefined) res.setHeader("x-should-retry", String(extra.shouldRetry));
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function defaultType(status: number): string {
  if (status === 429) return "requests";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

function defaultCode(status: number): string | null {
  return status === 429 ? "rate_limit_exceeded" : null;
}

function defaultMessage(status: number): string {
  if (status === 429) return "Rate limit reached for requests. Please try again later.";
  if (status >= 500) return "The server had an error while processing your request. Sorry about that!";
  return `fake OpenAI: scripted error ${status}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(String(part)));
  return Buffer.concat(parts).toString("utf8");
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
