/**
 * Usage as the bot meets it: before a request, whether a limit refuses it; while it runs, a
 * meter whose row is in the store from its first moment; after, the row completed whatever
 * the outcome. Also the `usage` command's figures. The clock is passed in, like the store.
 */
import type { Logger } from "../logger.ts";
import type { RequestUsageStart, Store, UsageCounters, UsageOutcome } from "../store/types.ts";
import {
  anyLimit,
  blockingLimit,
  hourWindowStart,
  type LimitStanding,
  standings,
  tokensOf,
  type UsageSnapshot,
  utcDayStart,
} from "./limits.ts";
import { RequestMeter } from "./request-meter.ts";
import { sumRequests } from "./totals.ts";
import type { UsageConfig } from "./usage-config.ts";
import { usageSummaryText } from "./usage-text.ts";

export interface UsageGuardOptions {
  store: Store;
  config: UsageConfig;
  logger: Logger;
  now: () => number;
}

/** A person, as limits count them: ids are unique within one platform only. */
export interface UsageUser {
  platform: string;
  userId: string;
}

export class UsageGuard {
  constructor(private readonly options: UsageGuardOptions) {}

  /** The limit that refuses a new request from `user` at `now`, or null when none does. */
  async check(user: UsageUser, now: number): Promise<LimitStanding | null> {
    const { limits } = this.options.config;
    if (!anyLimit(limits)) return null;
    const snapshot = await this.snapshot(user, now, limits.teamTokensPerDay !== null);
    return blockingLimit(standings(limits, snapshot));
  }

  /** Writes the request's row now, so it counts while it runs, and returns its meter. */
  async begin(start: RequestUsageStart, modelName: string | null): Promise<RequestMeter> {
    await this.options.store.startRequestUsage(start);
    return new RequestMeter(start, modelName);
  }

  /**
   * Completes the row. The reply is already out, so a store that fails here is logged rather
   * than thrown: the row stays unfinished, which the report shows as such.
   */
  async finish(meter: RequestMeter, outcome: UsageOutcome, log: Logger): Promise<UsageCounters> {
    const end = meter.end(outcome, this.options.now());
    try {
      await this.options.store.finishRequestUsage(meter.start.id, end);
    } catch (error) {
      log.error({ err: error, usage: end }, "could not record the request's usage");
    }
    const { callsWithoutUsage } = meter;
    log.debug({ usage: end, ...(callsWithoutUsage ? { callsWithoutUsage } : {}) }, "request usage recorded");
    return meter.counters();
  }

  /** The `usage` command's answer for `user`. */
  async summary(user: UsageUser, admin: boolean): Promise<string> {
    const now = this.options.now();
    const { limits } = this.options.config;
    const snapshot = await this.snapshot(user, now, limits.teamTokensPerDay !== null);
    return usageSummaryText({
      snapshot,
      lastHour: sumRequests(snapshot.lastHour),
      standings: standings(limits, snapshot),
      admin,
    });
  }

  private async snapshot(user: UsageUser, now: number, withTeam: boolean): Promise<UsageSnapshot> {
    const { store } = this.options;
    const hourStart = hourWindowStart(now);
    const dayStart = utcDayStart(now);
    const rows = await store.listRequestUsage({
      since: Math.min(hourStart, dayStart),
      until: now + 1,
      platform: user.platform,
      userId: user.userId,
    });
    return {
      now,
      lastHour: rows.filter((row) => row.startedAt >= hourStart),
      today: sumRequests(rows.filter((row) => row.startedAt >= dayStart)),
      teamTokensToday: withTeam ? tokensOf(await store.sumUsage({ since: dayStart, until: now + 1 })) : null,
    };
  }
}
