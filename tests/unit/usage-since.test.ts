import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/usage-error.ts";
import { parseSince } from "../../src/cli/usage-since.ts";

const NOW = Date.UTC(2025, 2, 14, 13, 28);

describe("parseSince", () => {
  it.each([
    ["24h", NOW - 24 * 3_600_000],
    ["7d", NOW - 7 * 86_400_000],
    ["30d", NOW - 30 * 86_400_000],
    ["2w", NOW - 14 * 86_400_000],
    [" 1h ", NOW - 3_600_000],
  ])("reads the duration %j back from now", (text, expected) => {
    expect(parseSince(text, NOW)).toBe(expected);
  });

  it.each([
    ["2025-03-01", Date.UTC(2025, 2, 1)],
    ["2025-03-14T09:30", Date.UTC(2025, 2, 14, 9, 30)],
    ["2025-03-14 09:30:15", Date.UTC(2025, 2, 14, 9, 30, 15)],
    ["2025-03-14T09:30:00Z", Date.UTC(2025, 2, 14, 9, 30)],
    ["2025-03-14T09:30:00+02:00", Date.UTC(2025, 2, 14, 7, 30)],
  ])("reads the date %j as UTC unless it names a zone", (text, expected) => {
    expect(parseSince(text, NOW)).toBe(expected);
  });

  it.each([
    ["7", /duration such as 24h/],
    ["7 days", /duration such as 24h/],
    ["0d", /longer than 0/],
    ["2025-02-30", /not a real date/],
    ["2025-13-01", /not a real date/],
    ["2025-03-15", /in the future/],
    ["yesterday", /duration such as 24h/],
  ])("refuses %j with a usage error", (text, message) => {
    expect(() => parseSince(text, NOW)).toThrow(UsageError);
    expect(() => parseSince(text, NOW)).toThrow(message);
  });
});
