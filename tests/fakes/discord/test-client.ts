/**
 * For the fake's own tests: a real discord.js `Client` configured the way the bot connects
 * (the bot's intents and partials, `rest.api` pointed at the fake), and a way to await the
 * client's next event of a kind.
 */
import {
  Client,
  type ClientEvents,
  type ClientOptions,
  Events,
  GatewayIntentBits,
  Partials,
} from "discord.js";
import type { FakeDiscord } from "./fake-discord.ts";

export const BOT_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

const EVENT_TIMEOUT_MS = 5_000;

export function botClient(fake: FakeDiscord, options: Partial<ClientOptions> = {}): Client {
  return new Client({
    intents: BOT_INTENTS,
    partials: [Partials.Channel, Partials.Message],
    rest: { api: fake.apiUrl },
    ...options,
  });
}

/** Logs in and resolves once the client has its guilds (`clientReady`). */
export async function readyClient(
  fake: FakeDiscord,
  options: Partial<ClientOptions> = {},
): Promise<Client<true>> {
  const client = botClient(fake, options);
  const ready = nextEvent(client, Events.ClientReady);
  await client.login(fake.token);
  const [readyClient] = await ready;
  return readyClient;
}

/** The arguments of the client's next `event` that passes `filter`. */
export function nextEvent<K extends keyof ClientEvents>(
  client: Client,
  event: K,
  filter: (...args: ClientEvents[K]) => boolean = () => true,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: ClientEvents[K]) => {
      if (!filter(...args)) return;
      cleanup();
      resolve(args);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${String(event)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.off(event, listener);
    };
    client.on(event, listener);
  });
}

/** The arguments of the client's next `count` events of a kind, in order. */
export function nextEvents<K extends keyof ClientEvents>(
  client: Client,
  event: K,
  count: number,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<Array<ClientEvents[K]>> {
  return new Promise((resolve, reject) => {
    const seen: Array<ClientEvents[K]> = [];
    const listener = (...args: ClientEvents[K]) => {
      seen.push(args);
      if (seen.length < count) return;
      cleanup();
      resolve(seen);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${seen.length} of ${count} ${String(event)} events within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.off(event, listener);
    };
    client.on(event, listener);
  });
}

/** Every `event` the client emits from now on, for asserting how many arrived. */
export function collectEvents<K extends keyof ClientEvents>(
  client: Client,
  event: K,
): Array<ClientEvents[K]> {
  const seen: Array<ClientEvents[K]> = [];
  client.on(event, (...args: ClientEvents[K]) => {
    seen.push(args);
  });
  return seen;
}
