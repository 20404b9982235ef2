/**
 * The admin's `status` command: what the bot is and how it is doing, in one message: version,
 * uptime, platforms, model, sandboxes and queue, and today's usage with its estimated cost.
 * The facts come in through a StatusSource (the composition root knows the platforms and the
 * sandbox's admission); the wording is pure and tested on its own.
 */
import type { Store, UsageTotals } from "../store/types.ts";
import { tokensOf, utcDayStart } from "../usage/limits.ts";
import { sumRequests } from "../usage/totals.ts";
import type { UsagePrices } from "../usage/usage-config.ts";
import { estimateCost } from "../usage/usage-report.ts";
import { formatCount, formatSeconds } from "../usage/usage-text.ts";
import { REPLICA_ALIVE_WITHIN_MS } from "./replica-presence.ts";

export interface SandboxStatus {
  live: number;
  pooled: number;
  running: number;
  waiting: number;
  maxLive: number;
  maxRunning: number;
}

export interface StatusSource {
  version: string;
  startedAt: number;
  /** The chat platforms the bot serves, known once its adapters are made. */
  platforms(): readonly string[];
  /** Null where the sandbox cannot tell (a test's scripted sandbox). */
  sandbox(): SandboxStatus | null;
  /** Where the state is kept (describeDatabase), without credentials; absent where unknown. */
  database?: string;
}

/** Where the state is kept, and the bot processes sharing it. */
export interface StateStatus {
  database: string;
  /** Replicas heard from lately, this one included. */
  replicasAlive: number;
  /** This process's replica id. */
  replicaId: string;
}

export interface StatusFacts {
  version: string;
  uptimeMs: number;
  platforms: readonly string[];
  /** Null when no model is configured. */
  model: string | null;
  sandbox: SandboxStatus | null;
  /** Null where the source does not say where the state is. */
  state: StateStatus | null;
  today: UsageTotals;
  /** Distinct people behind today's requests. */
  people: number;
  prices: UsagePrices | null;
}

export const STATUS_FOR_ADMINS_TEXT =
  "The `status` command is for the bot's admins (ACCESS_ADMINS). Your own usage is under `usage`.";

export function statusText(facts: StatusFacts): string {
  const { sandbox, today } = facts;
  const cost = estimateCost(today, facts.prices);
  return [
    `code-interpreter-bot ${facts.version}, up ${uptime(facts.uptimeMs)}.`,
    `• Platforms: ${facts.platforms.length ? facts.platforms.join(", ") : "none"}. Model: ${facts.model ?? "none (only ```python blocks run)"}.`,
    sandbox
      ? `• Sandboxes: ${sandbox.live} live of ${sandbox.maxLive} (${sandbox.pooled} warm in the pool), ${sandbox.running} running code of ${sandbox.maxRunning}, ${sandbox.waiting} waiting in the queue.`
      : "• Sandboxes: not reported by this sandbox.",
    `• Today (UTC): ${formatCount(today.requests)} requests from ${formatCount(facts.people)} ${facts.people === 1 ? "person" : "people"}, ` +
      `${formatCount(tokensOf(today))} model tokens (${formatCount(today.inputTokens)} in, ${formatCount(today.outputTokens)} out), ` +
      `${formatCount(today.codeRuns)} code runs, ${formatSeconds(today.sandboxMs / 1000)} of sandbox time, ` +
      (cost === null
        ? "cost unknown (set PRICE_INPUT_PER_MILLION and PRICE_OUTPUT_PER_MILLION)."
        : `about $${cost.toFixed(2)}.`),
    ...(facts.state ? [stateLine(facts.state)] : []),
  ].join("\n");
}

/** One process says only where its state is; replicas also say how many are alive, and which this is. */
function stateLine(state: StateStatus): string {
  if (state.replicasAlive <= 1) return `• State: ${state.database}.`;
  return `• State: ${state.database}, shared by ${state.replicasAlive} bot processes (this one is ${state.replicaId.slice(0, 8)}).`;
}

function uptime(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${rest} min`;
  return `${rest} min`;
}

/** Gathers today's figures from the store and words the answer. */
export async function statusReport(input: {
  source: StatusSource | null;
  store: Pick<Store, "listRequestUsage" | "listReplicas">;
  model: string | null;
  replicaId: string;
  prices: UsagePrices | null;
  now: number;
}): Promise<string> {
  const { source, now } = input;
  const rows = await input.store.listRequestUsage({ since: utcDayStart(now), until: now + 1 });
  const database = source?.database;
  const state = database
    ? {
        database,
        replicasAlive: (await input.store.listReplicas(REPLICA_ALIVE_WITHIN_MS)).length,
        replicaId: input.replicaId,
      }
    : null;
  return statusText({
    version: source?.version ?? "(version unknown)",
    uptimeMs: source ? now - source.startedAt : 0,
    platforms: source?.platforms() ?? [],
    model: input.model,
    sandbox: source?.sandbox() ?? null,
    state,
    today: sumRequests(rows),
    people: new Set(rows.map((row) => `${row.platform}:${row.userId}`)).size,
    prices: input.prices,
  });
}
