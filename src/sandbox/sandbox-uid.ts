/**
 * Each sandbox container runs user code under a uid of its own. Linux counts some kernel
 * resources per uid across the whole host (inotify instances and watches, pipe pages,
 * message-queue bytes, pending signals), so a shared uid would let one session use up
 * what every other session, and the host user with that uid, needs.
 *
 * The range sits above what Debian gives people (1000–59999) and system services, above
 * the subordinate ranges that rootless containers use (from 100000 up), and above the
 * range systemd-nspawn picks private users from (524288–1879048191); it stays below 2^31
 * because libc's setfsuid returns uids as a C int.
 */
import { randomInt } from "node:crypto";

export const SANDBOX_UID_FIRST = 1_900_000_000;
export const SANDBOX_UID_COUNT = 100_000_000;

export function isSandboxUid(uid: number): boolean {
  return Number.isInteger(uid) && uid >= SANDBOX_UID_FIRST && uid < SANDBOX_UID_FIRST + SANDBOX_UID_COUNT;
}

/**
 * A uid no container in `inUse` has. Random rather than sequential, so two bot processes
 * (or the bot and the CLI) that create containers at the same moment almost never pick
 * the same one; `inUse` covers the rest.
 */
export function pickSandboxUid(
  inUse: ReadonlySet<number>,
  random: (max: number) => number = randomInt,
): number {
  for (;;) {
    const uid = SANDBOX_UID_FIRST + random(SANDBOX_UID_COUNT);
    if (!inUse.has(uid)) return uid;
  }
}
