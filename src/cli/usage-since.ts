/** `--since`: how far back the usage report looks, as a duration back from now or a date. */
import { UsageError } from "./usage-error.ts";

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const DURATION = /^(\d{1,5})([hdw])$/;
/** A date, or a date and time with an optional zone, the way people write them on a command line. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * The start of the report in ms since the epoch. A bare date is midnight UTC, like the days
 * limits count; a date and time without a zone is read as UTC too, never as local time.
 */
export function parseSince(text: string, now: number): number {
  const value = text.trim();
  const duration = DURATION.exec(value);
  if (duration) {
    const count = Number(duration[1]);
    if (count === 0) throw new UsageError(`--since ${text}: give a duration longer than 0`);
    return now - count * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  }
  const iso = ISO.exec(value);
  if (iso) {
    const [, year, month, day, time, zone] = iso;
    // Date.parse would roll 2025-02-30 over into March; a typo should not move the report.
    const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    if (
      date.getUTCFullYear() !== Number(year) ||
      date.getUTCMonth() !== Number(month) - 1 ||
      date.getUTCDate() !== Number(day)
    ) {
      throw new UsageError(`--since ${text}: not a real date`);
    }
    const start = Date.parse(`${year}-${month}-${day}T${time ?? "00:00"}${zone ?? "Z"}`);
    if (Number.isNaN(start)) throw new UsageError(`--since ${text}: not a real time`);
    if (start > now) throw new UsageError(`--since ${text}: that is in the future`);
    return start;
  }
  throw new UsageError(
    `--since ${text}: give a duration such as 24h, 7d or 30d, or a date such as 2025-05-01`,
  );
}
