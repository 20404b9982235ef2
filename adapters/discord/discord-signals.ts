/**
 * What operators learn of Discord's API, for metrics: discord.js queues and retries
 * rate-limited calls itself, so its REST events are where the waits and failures show.
 */
import { type Client, RESTEvents, Status } from "discord.js";
import type { PlatformObserver } from "../../src/bot/platform-observer.ts";

export function watchDiscordRest(
  client: Client,
  tell: (what: (observer: PlatformObserver) => void) => void,
): void {
  client.rest.on(RESTEvents.RateLimited, (info) => {
    tell((o) => o.rateLimited({ platform: "discord", waitMs: info.retryAfter }));
  });
  client.rest.on(RESTEvents.Response, (_request, response) => {
    // A 429 is retried by discord.js and counted as a wait above, not as a failure.
    if (response.status >= 400 && response.status !== 429) {
      tell((o) => o.apiError({ platform: "discord", kind: `http_${response.status}` }));
    }
  });
}

/**
 * Every shard connected to the gateway and taking events; false while one reconnects or
 * resumes. (The manager's own status stays "ready" after its first ready; the shards' do not.)
 */
export function gatewayReady(client: Client | null): boolean {
  const shards = client ? [...client.ws.shards.values()] : [];
  return shards.length > 0 && shards.every((shard) => shard.status === Status.Ready);
}
