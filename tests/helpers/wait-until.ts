/**
 * Waiting for a state the test cannot be told about by an event (a fake's record, a page's
 * transcript, a process table): vitest's own polling, with a failure that names what was awaited.
 */
import { vi } from "vitest";

/** Resolves with `probe`'s first truthy value, checked every 50 ms; fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  try {
    return (await vi.waitUntil(probe, { timeout: timeoutMs, interval: 50 })) as NonNullable<T>;
  } catch (error) {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: error });
  }
}
