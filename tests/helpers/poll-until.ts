/**
 * Waiting for a state, for helpers that also run outside vitest (the bench uses the extra Docker
 * engine and the fake Slack): a plain loop. Tests themselves use waitUntil (wait-until.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";

/** Resolves with `probe`'s first truthy value, checked every `intervalMs`; fails naming `what` after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
