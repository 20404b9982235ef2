/** The chat platforms' side of the metrics: API calls that failed, and rate-limit waits. */
import { Counter, type Registry } from "prom-client";
import type { PlatformObserver } from "../bot/platform-observer.ts";

export class PlatformMetrics implements PlatformObserver {
  private readonly errors: Counter<"platform" | "kind">;
  private readonly waits: Counter<"platform">;
  private readonly waitSeconds: Counter<"platform">;

  constructor(registry: Registry, platforms: readonly string[]) {
    const registers = [registry];
    this.errors = new Counter({
      name: "cib_platform_api_errors_total",
      help: "Calls to a chat platform's API that failed after the SDK's retries, by platform and kind (the platform's error code, http_<status> or network).",
      labelNames: ["platform", "kind"],
      registers,
    });
    this.waits = new Counter({
      name: "cib_platform_rate_limited_total",
      help: "Times a chat platform rate-limited the bot, so a call waited.",
      labelNames: ["platform"],
      registers,
    });
    this.waitSeconds = new Counter({
      name: "cib_platform_rate_limit_wait_seconds_total",
      help: "Time calls waited because a chat platform rate-limited the bot.",
      labelNames: ["platform"],
      registers,
    });
    for (const platform of platforms) {
      this.waits.inc({ platform }, 0);
      this.waitSeconds.inc({ platform }, 0);
    }
  }

  apiError(event: { platform: string; kind: string }): void {
    this.errors.inc({ platform: event.platform, kind: event.kind });
  }

  rateLimited(event: { platform: string; waitMs: number }): void {
    this.waits.inc({ platform: event.platform });
    this.waitSeconds.inc({ platform: event.platform }, Math.max(0, event.waitMs) / 1000);
  }
}
