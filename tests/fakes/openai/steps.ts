/**
 * The script a test hands the fake OpenAI server: one step answers one
 * `POST /v1/chat/completions` request, in the order they were enqueued.
 */
import type { IncomingHttpHeaders } from "node:http";

export interface FakeToolCall {
  /** Defaults to `call_fake_N`, numbered across the server's lifetime. */
  id?: string;
  name: string;
  /** The raw JSON text the model "wrote"; streamed in `chunkSize` fragments. */
  arguments: string;
}

/** A model answer, streamed or not depending on the request's `stream` flag. */
export interface ReplyStep {
  kind: "reply";
  content?: string;
  toolCalls?: FakeToolCall[];
  /** Characters per content or argument fragment when streaming; default 8. */
  chunkSize?: number;
  delayMsBetweenChunks?: number;
  /**
   * Default true. `false` leaves usage out even when the request asked for it, as some
   * OpenAI-compatible servers ignore `stream_options.include_usage`.
   */
  usage?: boolean;
  /**
   * Streaming only: after the first `afterEvents` SSE events (the role chunk is the first),
   * wait for `until` before sending the rest, so that a test can break something (drop a
   * platform connection) while the answer is known to be half-way.
   */
  pause?: { afterEvents: number; until: Promise<unknown> };
}

/** An HTTP error with OpenAI's error body, before any stream starts. */
export interface ErrorStep {
  kind: "error";
  status: number;
  message?: string;
  /** Sent as `retry-after`; the SDK honours it (and, unlike a `signal`, sleeps through it). */
  retryAfterSeconds?: number;
  /** Sent as `retry-after-ms`; the SDK prefers it over `retry-after`. */
  retryAfterMs?: number;
  type?: string;
  code?: string;
  /** Sent as `x-should-retry`, which overrides the SDK's status-based retry decision. */
  shouldRetry?: boolean;
  /**
   * Sent as the body (text/html) instead of OpenAI's JSON error, as a gateway in front of the
   * API answers: Cloudflare's "502 Bad Gateway" page, say.
   */
  html?: string;
}

/**
 * Streaming: headers and optionally some content, then silence until the client gives up
 * or the server closes. Non-streaming: no answer at all.
 */
export interface StallStep {
  kind: "stall";
  afterContent?: string;
  /** Send not even the headers: what the SDK's own `timeout` (headers only) is for. */
  beforeHeaders?: boolean;
}

/**
 * Destroys the socket, as a crashed proxy would: without a response, or (streaming, with
 * `afterContent`) once the headers and that much of the answer have gone out.
 */
export interface DisconnectStep {
  kind: "disconnect";
  afterContent?: string;
}

/**
 * Streaming: the headers and `afterContent`, then one SSE event whose `data:` is `data` as
 * given (not JSON-encoded, so it may be anything: text that is not JSON, a chunk of the wrong
 * shape, or the `{"error": …}` object OpenAI sends when it fails mid-stream), then `[DONE]`.
 */
export interface MalformedStep {
  kind: "malformed";
  afterContent?: string;
  data: string;
}

/** Decides the answer from the request, e.g. to "fix" code after seeing a tool error. */
export interface CustomStep {
  kind: "custom";
  handle: (request: RecordedRequest) => FakeStep;
}

export type FakeStep = ReplyStep | ErrorStep | StallStep | DisconnectStep | MalformedStep | CustomStep;

export interface RecordedRequest {
  /** 1-based, in arrival order; the "#N" in the fake's own error messages. */
  readonly number: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, unvalidated: whatever the client sent. */
  readonly body: Readonly<Record<string, unknown>>;
  /** Narrowed from `body` because the fake itself needs them. */
  readonly model: string;
  readonly stream: boolean;
  readonly messages: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** The queued step consumed by this request; undefined if it was refused or unscripted. */
  step: FakeStep | undefined;
  /** What was actually answered: `step`, or what a custom step's handler returned. */
  answeredWith: Exclude<FakeStep, CustomStep> | undefined;
}
