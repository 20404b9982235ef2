/**
 * One id per request, from the platform event that brought it through the agent, the model
 * calls and the sandbox run, carried by the async context rather than passed by hand: every
 * log line written while a request is handled gets `request: "<id>"` (the logger's mixin reads
 * it), including lines from shared parts (the sandbox's queue, the model client) that never
 * see the message. An admin greps one id and sees the whole story.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

const context = new AsyncLocalStorage<{ request: string }>();

/** A short id that is unique enough to grep for: "r-" and 10 hex digits. */
export function newRequestId(): string {
  return `r-${randomBytes(5).toString("hex")}`;
}

/** The id of the request whose work is running now, or undefined outside one. */
export function currentRequestId(): string | undefined {
  return context.getStore()?.request;
}

/** Runs `work` as part of request `id`; work it starts (awaits, timers, callbacks) keeps the id. */
export function withRequestId<T>(id: string, work: () => T): T {
  return context.run({ request: id }, work);
}

/** Runs `work` in the current request, or in a new one when there is none yet. */
export function inRequest<T>(work: () => T): T {
  return currentRequestId() === undefined ? withRequestId(newRequestId(), work) : work();
}

/** For the logger: the fields every line gets inside a request. */
export function requestLogFields(): { request?: string } {
  const request = currentRequestId();
  return request === undefined ? {} : { request };
}
