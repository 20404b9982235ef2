/**
 * The usage settings: per-person limits, the team's daily token budget and the prices that
 * turn tokens into an estimated cost. Every limit is off unless set; prices have no default,
 * because a wrong price shown as a cost is worse than none.
 */
import type { EnvReader } from "../config.ts";

/** A null limit is off. */
export interface UsageLimits {
  /** Requests a person may start in any 60 minutes. */
  requestsPerHour: number | null;
  /** Model tokens (in and out) per person per UTC day. */
  tokensPerDay: number | null;
  /** Seconds of code running in the sandbox per person per UTC day. */
  sandboxSecondsPerDay: number | null;
  /** Model tokens (in and out) for everyone together per UTC day. */
  teamTokensPerDay: number | null;
}

/** US dollars per million tokens. */
export interface UsagePrices {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface UsageConfig {
  limits: UsageLimits;
  /** Null when not configured: costs are then shown as unknown. */
  prices: UsagePrices | null;
}

export const NO_USAGE_LIMITS: UsageConfig = {
  limits: { requestsPerHour: null, tokensPerDay: null, sandboxSecondsPerDay: null, teamTokensPerDay: null },
  prices: null,
};

const MAX_LIMIT = 1e12;
const MAX_PRICE = 1e6;

export function readUsageConfig(read: EnvReader): UsageConfig {
  const limit = (name: string) => read.number(name, 0, 0, MAX_LIMIT) || null;
  return {
    limits: {
      requestsPerHour: limit("LIMIT_REQUESTS_PER_HOUR"),
      tokensPerDay: limit("LIMIT_TOKENS_PER_DAY"),
      sandboxSecondsPerDay: limit("LIMIT_SANDBOX_SECONDS_PER_DAY"),
      teamTokensPerDay: limit("LIMIT_TEAM_TOKENS_PER_DAY"),
    },
    prices: readPrices(read),
  };
}

function readPrices(read: EnvReader): UsagePrices | null {
  const names = ["PRICE_INPUT_PER_MILLION", "PRICE_OUTPUT_PER_MILLION"] as const;
  const set = names.filter((name) => read.has(name));
  if (set.length === 0) return null;
  if (set.length === 1) {
    // Half a price would make every estimate wrong without saying so.
    const missing = names.find((name) => !read.has(name));
    read.problem(
      `${set[0]} is set but ${missing} is not: set both (US dollars per million tokens), or neither.`,
    );
    return null;
  }
  return {
    inputPerMillion: read.number(names[0], 0, 0, MAX_PRICE, false),
    outputPerMillion: read.number(names[1], 0, 0, MAX_PRICE, false),
  };
}
