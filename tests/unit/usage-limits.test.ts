import { describe, expect, it } from "vitest";
import type { RequestUsageRecord } from "../../src/store/types.ts";
import {
  blockingLimit,
  HOUR_MS,
  nextUtcMidnight,
  standings,
  type UsageSnapshot,
  utcDayStart,
} from "../../src/usage/limits.ts";
import { zeroCounters, zeroTotals } from "../../src/usage/totals.ts";
import { NO_USAGE_LIMITS, type UsageLimits } from "../../src/usage/usage-config.ts";
import { overLimitText, resetWhen } from "../../src/usage/usage-text.ts";

const at = (hours: number, minutes = 0, seconds = 0) => Date.UTC(2025, 2, 14, hours, minutes, seconds);

function request(startedAt: number): RequestUsageRecord {
  return {
    id: `r-${startedAt}`,
    platform: "slack",
    userId: "U1",
    userName: null,
    conversationKey: "slack:T:C:1",
    startedAt,
    finishedAt: null,
    outcome: null,
    model: null,
    ...zeroCounters(),
  };
}

function snapshot(overrides: Partial<UsageSnapshot> & { now: number }): UsageSnapshot {
  return { lastHour: [], today: zeroTotals(), teamTokensToday: null, ...overrides };
}

function limits(overrides: Partial<UsageLimits>): UsageLimits {
  return { ...NO_USAGE_LIMITS.limits, ...overrides };
}

describe("UTC days", () => {
  it("start at 00:00 UTC and end at the next midnight", () => {
    expect(utcDayStart(at(13, 28))).toBe(at(0));
    expect(utcDayStart(at(0))).toBe(at(0));
    expect(nextUtcMidnight(at(23, 59, 59))).toBe(Date.UTC(2025, 2, 15));
    // The last day of a month rolls into the next month.
    expect(nextUtcMidnight(Date.UTC(2025, 1, 28, 12))).toBe(Date.UTC(2025, 2, 1));
  });
});

describe("the rolling hour of requests", () => {
  const rule = limits({ requestsPerHour: 3 });

  it("is not reached below the limit, and says what is left", () => {
    const [hour] = standings(rule, snapshot({ now: at(14), lastHour: [request(at(13, 30))] }));
    expect(hour).toEqual({
      limit: "requests-per-hour",
      max: 3,
      used: 1,
      left: 2,
      reached: false,
      resetAt: null,
    });
    expect(blockingLimit(standings(rule, snapshot({ now: at(14) })))).toBeNull();
  });

  it("frees up an hour after the oldest request in the window", () => {
    const lastHour = [request(at(13, 50)), request(at(13, 5)), request(at(13, 20))];
    const blocked = blockingLimit(standings(rule, snapshot({ now: at(13, 55), lastHour })));
    expect(blocked).toMatchObject({ limit: "requests-per-hour", used: 3, left: 0, resetAt: at(14, 5) });
  });

  it("waits for enough requests to leave when more than the limit ran (say, while the person was an admin)", () => {
    const lastHour = [13, 14, 15, 16, 17].map((minute) => request(at(13, minute)));
    const [hour] = standings(rule, snapshot({ now: at(13, 30), lastHour }));
    // 5 in the window, limit 3: the third oldest must leave for only 2 to be left.
    expect(hour?.resetAt).toBe(at(13, 15) + HOUR_MS);
  });
});

describe("daily limits", () => {
  it("count tokens in and out, sandbox seconds and the team's tokens, all resetting at midnight UTC", () => {
    const today = { ...zeroTotals(), requests: 4, inputTokens: 900, outputTokens: 100, sandboxMs: 30_500 };
    const all = standings(
      limits({ tokensPerDay: 1_000, sandboxSecondsPerDay: 60, teamTokensPerDay: 5_000 }),
      snapshot({ now: at(18, 48), today, teamTokensToday: 4_000 }),
    );
    expect(all).toEqual([
      {
        limit: "tokens-per-day",
        max: 1_000,
        used: 1_000,
        left: 0,
        reached: true,
        resetAt: Date.UTC(2025, 2, 15),
      },
      { limit: "sandbox-seconds-per-day", max: 60, used: 30.5, left: 29.5, reached: false, resetAt: null },
      { limit: "team-tokens-per-day", max: 5_000, used: 4_000, left: 1_000, reached: false, resetAt: null },
    ]);
  });

  it("leave out limits that are off", () => {
    expect(standings(NO_USAGE_LIMITS.limits, snapshot({ now: at(12) }))).toEqual([]);
  });
});

describe("the limit that blocks", () => {
  it("is the one that keeps the person waiting longest", () => {
    const today = { ...zeroTotals(), inputTokens: 50 };
    const lastHour = [request(at(13, 40)), request(at(13, 45))];
    const blocked = blockingLimit(
      standings(limits({ requestsPerHour: 2, tokensPerDay: 50 }), snapshot({ now: at(14), lastHour, today })),
    );
    expect(blocked?.limit).toBe("tokens-per-day");
  });
});

describe("the words", () => {
  it("give the reset as a UTC time rounded up to the minute, and as a relative time", () => {
    expect(resetWhen(at(14, 5), at(13, 28))).toBe("14:05 UTC (in 37 min)");
    expect(resetWhen(at(14, 4, 30), at(13, 27, 50))).toBe("14:05 UTC (in 37 min)");
    expect(resetWhen(Date.UTC(2025, 2, 15), at(18, 48))).toBe("00:00 UTC (in 5 h 12 min)");
    expect(resetWhen(at(15), at(14))).toBe("15:00 UTC (in 1 h)");
    expect(resetWhen(at(14, 0, 10), at(14))).toBe("14:01 UTC (in 1 min)");
  });

  it("name the limit, the use and when it resets", () => {
    const now = at(13, 28);
    expect(
      overLimitText(
        { limit: "requests-per-hour", max: 20, used: 20, left: 0, reached: true, resetAt: at(14, 5) },
        now,
      ),
    ).toBe(
      "You've reached your limit of 20 requests per hour (20 in the last 60 minutes). You can ask again at 14:05 UTC (in 37 min).",
    );
    const midnight = Date.UTC(2025, 2, 15);
    const evening = at(18, 48);
    expect(
      overLimitText(
        {
          limit: "team-tokens-per-day",
          max: 2_000_000,
          used: 2_000_345,
          left: 0,
          reached: true,
          resetAt: midnight,
        },
        evening,
      ),
    ).toBe(
      "The team's daily budget of 2,000,000 model tokens is used up (2,000,345 used today). It resets at 00:00 UTC (in 5 h 12 min).",
    );
    expect(
      overLimitText(
        { limit: "tokens-per-day", max: 50_000, used: 51_234, left: 0, reached: true, resetAt: midnight },
        evening,
      ),
    ).toBe(
      "You've reached your daily limit of 50,000 model tokens (51,234 used today). It resets at 00:00 UTC (in 5 h 12 min).",
    );
    expect(
      overLimitText(
        {
          limit: "sandbox-seconds-per-day",
          max: 600,
          used: 612.4,
          left: 0,
          reached: true,
          resetAt: midnight,
        },
        evening,
      ),
    ).toBe(
      "You've reached your daily limit of 600 s of sandbox time (612 s used today). It resets at 00:00 UTC (in 5 h 12 min).",
    );
  });
});
