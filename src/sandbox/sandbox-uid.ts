/**
 * Each sandbox container runs user code under a uid of its own. Linux counts some kernel
 * resources per uid across the whole host (inotify instances and watches, pipe pages,
 * message-queue bytes, pending signals), so a shared uid would let one session use up
 * what every other session, and the host user with that uid, needs.
 */
import { randomInt } from "node:crypto";

export interface UidRange {
  first: number;
  count: number;
}

/**
 * Above what Debian gives people (1000–59999) and system services, above the subordinate
 * ranges that rootless containers use (from 100000 up), and above the range systemd-nspawn
 * picks private users from (524288–1879048191); below 2^31 because libc's setfsuid returns
 * uids as a C int.
 */
export const DEFAULT_UID_RANGE: UidRange = { first: 1_900_000_000, count: 100_000_000 };

/**
 * Rootless Docker and userns-remap map only 65,536 uids into a container (container uid N is
 * host uid base + N), so there a sandbox uid must come from below 65536. Each one still maps
 * to a host uid of its own, which no person on the host has.
 */
export const REMAPPED_UID_RANGE: UidRange = { first: 10_000, count: 55_000 };

/** The range for an engine, from the `SecurityOptions` of `docker info`. */
export function uidRangeFor(securityOptions: readonly string[]): UidRange {
  const remapped = securityOptions.some((option) => /^name=(rootless|userns)(,|$)/.test(option));
  return remapped ? REMAPPED_UID_RANGE : DEFAULT_UID_RANGE;
}

export function isSandboxUid(uid: number, range: UidRange = DEFAULT_UID_RANGE): boolean {
  return Number.isInteger(uid) && uid >= range.first && uid < range.first + range.count;
}

/**
 * A uid no container in `inUse` has. Random rather than sequential, so two bot processes
 * (or the bot and the CLI) that create containers at the same moment almost never pick
 * the same one; `inUse` covers the rest.
 */
export function pickSandboxUid(
  inUse: ReadonlySet<number>,
  range: UidRange = DEFAULT_UID_RANGE,
  random: (max: number) => number = randomInt,
): number {
  if (inUse.size >= range.count) throw new Error(`every uid from ${range.first} on is in use`);
  for (;;) {
    const uid = range.first + random(range.count);
    if (!inUse.has(uid)) return uid;
  }
}
