/**
 * How usage and limits are worded for people in chat: the refusal when a limit is reached,
 * and the `usage` command's answer. Times are UTC with a relative time beside them, because
 * a chat bot cannot know the reader's time zone.
 */
import type { UsageTotals } from "../store/types.ts";
import { type LimitStanding, tokensOf, type UsageSnapshot } from "./limits.ts";

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return NUMBER.format(value);
}

/** Short durations keep a decimal so that a few quick runs do not read as "0 s". */
export function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${(Math.round(seconds * 10) / 10).toString()} s` : `${formatCount(seconds)} s`;
}

/** "14:05 UTC (in 37 min)": rounded up to the minute, so asking at the time shown works. */
export function resetWhen(resetAt: number, now: number): string {
  const minutes = Math.max(1, Math.ceil((resetAt - now) / 60_000));
  const shown = new Date(Math.ceil(resetAt / 60_000) * 60_000);
  const clock = `${pad(shown.getUTCHours())}:${pad(shown.getUTCMinutes())} UTC`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const relative = hours === 0 ? `${rest} min` : rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  return `${clock} (in ${relative})`;
}

function pad(value: number): string {
  return value.toString().padStart(2, "0");
}

/** The one reply to a request refused by `limit`. */
export function overLimitText(limit: LimitStanding, now: number): string {
  const when = resetWhen(limit.resetAt ?? now, now);
  const max = formatCount(limit.max);
  switch (limit.limit) {
    case "requests-per-hour":
      return `You've reached your limit of ${max} requests per hour (${formatCount(limit.used)} in the last 60 minutes). You can ask again at ${when}.`;
    case "tokens-per-day":
      return `You've reached your daily limit of ${max} model tokens (${formatCount(limit.used)} used today). It resets at ${when}.`;
    case "sandbox-seconds-per-day":
      return `You've reached your daily limit of ${formatSeconds(limit.max)} of sandbox time (${formatSeconds(limit.used)} used today). It resets at ${when}.`;
    case "team-tokens-per-day":
      return `The team's daily budget of ${max} model tokens is used up (${formatCount(limit.used)} used today). It resets at ${when}.`;
  }
}

function totalsLine(totals: UsageTotals, withFiles: boolean): string {
  const parts = [
    plural(totals.requests, "request"),
    `${formatCount(tokensOf(totals))} model tokens (${formatCount(totals.inputTokens)} in, ${formatCount(totals.outputTokens)} out)`,
    plural(totals.codeRuns, "code run"),
    `${formatSeconds(totals.sandboxMs / 1000)} of sandbox time`,
  ];
  if (withFiles) parts.push(`${plural(totals.filesIn, "file")} in`, `${plural(totals.filesOut, "file")} out`);
  return parts.join(", ");
}

function plural(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? "" : "s"}`;
}

function standingLine(limit: LimitStanding, now: number): string {
  const left = limit.reached
    ? `none left${limit.resetAt === null ? "" : ` until ${resetWhen(limit.resetAt, now)}`}`
    : "left";
  switch (limit.limit) {
    case "requests-per-hour":
      return `• ${formatCount(limit.max)} requests per hour: ${formatCount(limit.used)} in the last 60 minutes, ${limit.reached ? left : `${formatCount(limit.left)} ${left}`}.`;
    case "tokens-per-day":
      return `• ${formatCount(limit.max)} model tokens per day: ${formatCount(limit.used)} used, ${limit.reached ? left : `${formatCount(limit.left)} ${left}`}.`;
    case "sandbox-seconds-per-day":
      return `• ${formatSeconds(limit.max)} of sandbox time per day: ${formatSeconds(limit.used)} used, ${limit.reached ? left : `${formatSeconds(limit.left)} ${left}`}.`;
    case "team-tokens-per-day":
      return `• The team's ${formatCount(limit.max)} model tokens per day: ${formatCount(limit.used)} used, ${limit.reached ? left : `${formatCount(limit.left)} ${left}`}.`;
  }
}

/** The `usage` command's answer: today, the last hour, and each configured limit. */
export function usageSummaryText(input: {
  snapshot: UsageSnapshot;
  lastHour: UsageTotals;
  standings: LimitStanding[];
  admin: boolean;
}): string {
  const { snapshot, standings, admin } = input;
  const lines = [
    `Your usage today (UTC): ${totalsLine(snapshot.today, true)}.`,
    `In the last hour: ${totalsLine(input.lastHour, false)}.`,
  ];
  if (standings.length === 0) {
    lines.push("No usage limits are set.");
    return lines.join("\n");
  }
  lines.push(
    admin
      ? "Limits (you're an admin, so they don't apply to you):"
      : "Limits (days are UTC; they reset at 00:00 UTC):",
  );
  for (const limit of standings) lines.push(standingLine(limit, snapshot.now));
  return lines.join("\n");
}
