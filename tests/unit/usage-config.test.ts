import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { configProblems } from "../helpers/config-problems.ts";

describe("usage settings", () => {
  it("have every limit off and no prices by default", () => {
    expect(loadConfig({}).usage).toEqual({
      limits: {
        requestsPerHour: null,
        tokensPerDay: null,
        sandboxSecondsPerDay: null,
        teamTokensPerDay: null,
      },
      prices: null,
    });
  });

  it("read limits and prices, 0 meaning off", () => {
    const { usage } = loadConfig({
      LIMIT_REQUESTS_PER_HOUR: "20",
      LIMIT_TOKENS_PER_DAY: "200000",
      LIMIT_SANDBOX_SECONDS_PER_DAY: "0",
      LIMIT_TEAM_TOKENS_PER_DAY: "2000000",
      PRICE_INPUT_PER_MILLION: "2.5",
      PRICE_OUTPUT_PER_MILLION: "10",
    });
    expect(usage).toEqual({
      limits: {
        requestsPerHour: 20,
        tokensPerDay: 200_000,
        sandboxSecondsPerDay: null,
        teamTokensPerDay: 2_000_000,
      },
      prices: { inputPerMillion: 2.5, outputPerMillion: 10 },
    });
  });

  it("report bad values and half a price, all at once", () => {
    const found = configProblems({
      LIMIT_REQUESTS_PER_HOUR: "-1",
      LIMIT_TOKENS_PER_DAY: "lots",
      PRICE_INPUT_PER_MILLION: "2.5",
    });
    expect(found).toHaveLength(3);
    expect(found.join("\n")).toMatch(/LIMIT_REQUESTS_PER_HOUR=-1/);
    expect(found.join("\n")).toMatch(/LIMIT_TOKENS_PER_DAY=lots/);
    expect(found.join("\n")).toMatch(/PRICE_INPUT_PER_MILLION is set but PRICE_OUTPUT_PER_MILLION is not/);
  });
});
