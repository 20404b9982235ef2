/**
 * Discord's REST rate limits as discord.js reads them: every answer reports its route's bucket
 * in `X-RateLimit-*` headers (and a request over the bucket gets a 429), and a test can script
 * the next N requests of a route to be refused with 429, `Retry-After` and `retry_after`, or to
 * fail with another status.
 */
import { createHash } from "node:crypto";
import type { RateLimitOptions, RouteName } from "./types.ts";
import type { Answer } from "./wire.ts";

export interface BucketLimit {
  limit: number;
  windowMs: number;
}

interface Scripted {
  retryAfterMs: number;
  global: boolean;
  scope: "user" | "shared";
}

interface Window {
  start: number;
  count: number;
}

export type Admission = { refusal: Answer } | { headers: Record<string, string> };

export class RateLimits {
  private readonly scripted = new Map<RouteName, Scripted[]>();
  private readonly failures = new Map<RouteName, Answer[]>();
  private readonly windows = new Map<string, Window>();

  constructor(private readonly bucket: BucketLimit) {}

  limitNext(route: RouteName, count: number, retryAfterMs: number, options: RateLimitOptions = {}): void {
    const queue = this.scripted.get(route) ?? [];
    for (let i = 0; i < count; i += 1) {
      queue.push({ retryAfterMs, global: options.global ?? false, scope: options.scope ?? "user" });
    }
    this.scripted.set(route, queue);
  }

  failNext(route: RouteName, answer: Answer): void {
    const queue = this.failures.get(route) ?? [];
    queue.push(answer);
    this.failures.set(route, queue);
  }

  /** `major` is the route's major parameter (channel, guild, webhook): Discord buckets by it. */
  admit(route: RouteName, major: string): Admission {
    const now = Date.now();
    const key = `${route} ${major}`;
    let window = this.windows.get(key);
    if (!window || now >= window.start + this.bucket.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    const resetAt = window.start + this.bucket.windowMs;
    const scripted = this.scripted.get(route)?.shift();
    if (scripted) return { refusal: tooManyRequests(route, this.bucket.limit, scripted, now) };
    const failure = this.failures.get(route)?.shift();
    if (failure) return { refusal: failure };
    if (window.count >= this.bucket.limit) {
      const limited: Scripted = { retryAfterMs: resetAt - now, global: false, scope: "user" };
      return { refusal: tooManyRequests(route, this.bucket.limit, limited, now) };
    }
    window.count += 1;
    return {
      headers: {
        "x-ratelimit-bucket": bucketHash(route),
        "x-ratelimit-limit": String(this.bucket.limit),
        "x-ratelimit-remaining": String(this.bucket.limit - window.count),
        "x-ratelimit-reset": seconds(resetAt),
        "x-ratelimit-reset-after": seconds(resetAt - now),
      },
    };
  }
}

/**
 * Discord's 429: `Retry-After` (whole seconds at Discord; here the exact fraction, so a test
 * need not wait a full second) and the body's `retry_after` in seconds. A route limit empties
 * the bucket (`Remaining: 0`); a global one says `X-RateLimit-Global` and names no bucket.
 */
function tooManyRequests(route: RouteName, limit: number, scripted: Scripted, now: number): Answer {
  const retryAfter = seconds(scripted.retryAfterMs);
  const headers: Record<string, string> = {
    "retry-after": retryAfter,
    "x-ratelimit-scope": scripted.global ? "global" : scripted.scope,
  };
  if (scripted.global) headers["x-ratelimit-global"] = "true";
  else {
    Object.assign(headers, {
      "x-ratelimit-bucket": bucketHash(route),
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": seconds(now + scripted.retryAfterMs),
      "x-ratelimit-reset-after": retryAfter,
    });
  }
  return {
    status: 429,
    headers,
    body: {
      message: "You are being rate limited.",
      retry_after: scripted.retryAfterMs / 1000,
      global: scripted.global,
    },
  };
}

function bucketHash(route: RouteName): string {
  return createHash("sha1").update(route).digest("hex").slice(0, 32);
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}
