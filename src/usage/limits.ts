/**
 * The arithmetic of limits, pure so every edge is testable: where a person stands against
 * each configured limit, and when a reached one frees up. The hour rolls (any 60 minutes);
 * days are UTC calendar days, the same for everyone wherever they are.
 */
import type { RequestUsageRecord, UsageTotals } from "../store/types.ts";
import type { UsageLimits } from "./usage-config.ts";

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

export function utcDayStart(time: number): number {
  return Math.floor(time / DAY_MS) * DAY_MS;
}

export function nextUtcMidnight(time: number): number {
  return utcDayStart(time) + DAY_MS;
}

/** The earliest start time that is still "in the last hour" at `now`. */
export function hourWindowStart(now: number): number {
  return now - HOUR_MS + 1;
}

export type LimitName =
  | "requests-per-hour"
  | "tokens-per-day"
  | "sandbox-seconds-per-day"
  | "team-tokens-per-day";

export interface LimitStanding {
  limit: LimitName;
  max: number;
  /** In the limit's unit: requests, tokens or seconds. */
  used: number;
  left: number;
  reached: boolean;
  /** When enough use leaves the window for another request; null while under the limit. */
  resetAt: number | null;
}

/** What the limits are judged on, read from the store at one instant. */
export interface UsageSnapshot {
  now: number;
  /** The person's requests started in the last hour, oldest first, running ones included. */
  lastHour: RequestUsageRecord[];
  /** The person's requests started today (UTC), summed. */
  today: UsageTotals;
  /** Everyone's tokens today (UTC), or null when the team budget is off and was not read. */
  teamTokensToday: number | null;
}

export function tokensOf(totals: Pick<UsageTotals, "inputTokens" | "outputTokens">): number {
  return totals.inputTokens + totals.outputTokens;
}

/** One standing per configured limit, in a fixed order. */
export function standings(limits: UsageLimits, snapshot: UsageSnapshot): LimitStanding[] {
  const { now } = snapshot;
  const midnight = nextUtcMidnight(now);
  const result: LimitStanding[] = [];
  if (limits.requestsPerHour !== null) {
    const max = limits.requestsPerHour;
    const starts = snapshot.lastHour.map((request) => request.startedAt).sort((a, b) => a - b);
    const used = starts.length;
    // Free again once enough of them are older than an hour that fewer than `max` are left.
    const freeing = starts[used - max];
    result.push(standing("requests-per-hour", max, used, freeing === undefined ? null : freeing + HOUR_MS));
  }
  if (limits.tokensPerDay !== null) {
    result.push(standing("tokens-per-day", limits.tokensPerDay, tokensOf(snapshot.today), midnight));
  }
  if (limits.sandboxSecondsPerDay !== null) {
    const used = snapshot.today.sandboxMs / 1000;
    result.push(standing("sandbox-seconds-per-day", limits.sandboxSecondsPerDay, used, midnight));
  }
  if (limits.teamTokensPerDay !== null && snapshot.teamTokensToday !== null) {
    result.push(standing("team-tokens-per-day", limits.teamTokensPerDay, snapshot.teamTokensToday, midnight));
  }
  return result;
}

function standing(limit: LimitName, max: number, used: number, resetAt: number | null): LimitStanding {
  const reached = used >= max;
  return { limit, max, used, left: Math.max(0, max - used), reached, resetAt: reached ? resetAt : null };
}

/**
 * The limit that keeps a person waiting longest, or null when none is reached: telling them
 * an hourly limit frees up in 10 minutes is no use when the daily one holds until midnight.
 */
export function blockingLimit(all: LimitStanding[]): LimitStanding | null {
  let worst: LimitStanding | null = null;
  for (const each of all) {
    if (!each.reached) continue;
    if (worst === null || (each.resetAt ?? 0) > (worst.resetAt ?? 0)) worst = each;
  }
  return worst;
}

export function anyLimit(limits: UsageLimits): boolean {
  return Object.values(limits).some((value) => value !== null);
}
