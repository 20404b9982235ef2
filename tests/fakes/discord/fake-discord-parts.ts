/**
 * The fake's parts on one port: world, recorder, CDN, gateway, message and interaction stores,
 * rate limits and REST routes, wired together and listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Cdn } from "./cdn.ts";
import { GatewayServer } from "./gateway.ts";
import { InteractionStore } from "./interactions.ts";
import { DEFAULT_MAX_UPLOAD_BYTES } from "./limits.ts";
import { MessageStore } from "./messages.ts";
import { applicationFlags, botToken, PRIVILEGED_INTENTS, Snowflakes } from "./protocol.ts";
import { RateLimits } from "./rate-limits.ts";
import { Recorder } from "./recorder.ts";
import { RestApi } from "./rest.ts";
import { commandRoutes } from "./rest-commands.ts";
import { interactionRoutes } from "./rest-interactions.ts";
import { messageRoutes } from "./rest-messages.ts";
import { metaRoutes, type RestDeps } from "./rest-routes.ts";
import type { FakeDiscordOptions } from "./types.ts";
import { errorMessage, sendText } from "./wire.ts";
import { World } from "./world.ts";

export const DISCORD_HEARTBEAT_INTERVAL_MS = 41_250;
const DEFAULT_ROUTE_LIMIT = { limit: 50, windowMs: 1_000 };

export interface Parts {
  origin: string;
  token: string;
  world: World;
  recorder: Recorder;
  cdn: Cdn;
  gateway: GatewayServer;
  messages: MessageStore;
  interactions: InteractionStore;
  limits: RateLimits;
  stop(): Promise<void>;
}

export async function startParts(options: FakeDiscordOptions): Promise<Parts> {
  const ids = new Snowflakes();
  const privilegedIntents = options.privilegedIntents ?? PRIVILEGED_INTENTS;
  const world = new World(ids, {
    botUsername: options.botUsername ?? "fakebot",
    guildName: options.guildName ?? "Fake Guild",
    channelName: options.channelName ?? "general",
    applicationFlags: applicationFlags(privilegedIntents),
  });
  const recorder = new Recorder();
  const token = options.token ?? botToken(world.botUser.id);
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;

  // Assigned once the port is known; no request can arrive before that.
  let route: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async () => {};
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendText(res, 500, `fake Discord: ${errorMessage(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake Discord: no TCP address");
  const origin = `http://127.0.0.1:${address.port}`;

  const cdn = new Cdn(origin, ids, recorder, () => world.channel.id);
  const gateway = new GatewayServer({
    token,
    world,
    recorder,
    wsOrigin: `ws://127.0.0.1:${address.port}`,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DISCORD_HEARTBEAT_INTERVAL_MS,
    privilegedIntents,
  });
  const messages = new MessageStore({
    world,
    cdn,
    ids,
    recorder,
    maxUploadBytes,
    dispatch: (t, d, flags) => gateway.dispatch(t, d, flags),
  });
  const interactions = new InteractionStore({
    world,
    ids,
    recorder,
    messages,
    maxUploadBytes,
    deadlineMs: options.interactionDeadlineMs ?? 3_000,
    dispatch: (t, d) => gateway.dispatch(t, d, { inGuild: false, contentGated: false }),
  });
  const limits = new RateLimits(options.routeLimit ?? DEFAULT_ROUTE_LIMIT);
  const deps: RestDeps = {
    token,
    world,
    ids,
    recorder,
    messages,
    interactions,
    gateway,
    maxConcurrency: options.maxConcurrency ?? 1,
  };
  const rest = new RestApi(
    [...metaRoutes(deps), ...commandRoutes(deps), ...messageRoutes(deps), ...interactionRoutes(deps)],
    { token, recorder, limits },
  );
  server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  route = async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    if (rest.handles(url.pathname)) return rest.handle(req, res, url);
    if (cdn.handles(url.pathname)) return cdn.serve(req, res);
    sendText(res, 404, "Not Found");
  };

  const stop = async () => {
    await gateway.close();
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  };
  return {
    origin,
    token,
    world,
    recorder,
    cdn,
    gateway,
    messages,
    interactions,
    limits,
    stop,
  };
}
