/** Adding up usage figures, the same way for a person's hour, a report's group and its total. */
import type { UsageCounters, UsageTotals } from "../store/types.ts";

export function zeroCounters(): UsageCounters {
  return {
    modelCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    codeRuns: 0,
    sandboxMs: 0,
    filesIn: 0,
    filesInBytes: 0,
    filesOut: 0,
    filesOutBytes: 0,
  };
}

export function zeroTotals(): UsageTotals {
  return { requests: 0, ...zeroCounters() };
}

/** Adds one request's counters to `totals`, in place. */
export function addRequest(totals: UsageTotals, request: UsageCounters): void {
  totals.requests += 1;
  for (const key of COUNTER_KEYS) totals[key] += request[key];
}

/** Listed rather than read from an object, which may be a whole record with ids and times. */
const COUNTER_KEYS = Object.keys(zeroCounters()) as ReadonlyArray<keyof UsageCounters>;

export function sumRequests(requests: readonly UsageCounters[]): UsageTotals {
  const totals = zeroTotals();
  for (const request of requests) addRequest(totals, request);
  return totals;
}
