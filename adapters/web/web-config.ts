/**
 * The web chat's settings, read with the core's EnvReader so every problem is reported at once.
 * It is on by default when no chat platform is configured, so `npm start` always gives people
 * somewhere to talk; beside Slack or Discord it needs WEB_ENABLED=true. It binds the loopback
 * address unless told otherwise, and anywhere else it refuses to start without a token.
 */
import type { EnvReader } from "../../src/config.ts";

export interface WebConfig {
  host: string;
  port: number;
  /** Every request must carry it (bearer header or the sign-in cookie); null on loopback only. */
  token: string | null;
}

export const DEFAULT_WEB_HOST = "127.0.0.1";
export const DEFAULT_WEB_PORT = 8080;
const MIN_TOKEN_LENGTH = 16;

/** Null when the web chat is off: a chat platform is configured and WEB_ENABLED is not true. */
export function readWebConfig(read: EnvReader, otherPlatformConfigured: boolean): WebConfig | null {
  const enabled = read.has("WEB_ENABLED") ? read.boolean("WEB_ENABLED", false) : !otherPlatformConfigured;
  const host = read.string("WEB_HOST", DEFAULT_WEB_HOST);
  const port = read.number("WEB_PORT", DEFAULT_WEB_PORT, 1, 65_535);
  const token = read.optionalString("WEB_TOKEN");
  if (!enabled) return null;
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    read.problem(
      `WEB_TOKEN is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random ones ` +
        "(for example the output of `openssl rand -hex 32`).",
    );
  }
  if (!isLoopback(host) && token === null) {
    read.problem(
      `WEB_HOST=${host} makes the web chat reachable from other machines, so it needs WEB_TOKEN: set ` +
        "WEB_TOKEN to a long random secret (for example the output of `openssl rand -hex 32`), " +
        `or leave WEB_HOST at ${DEFAULT_WEB_HOST}. Under docker compose the web chat listens on every ` +
        "interface of its container (the host publishes it on loopback only), so put WEB_TOKEN in .env there.",
    );
  }
  return { host, port, token };
}

/** Addresses only this machine can reach. A name other than localhost may resolve anywhere. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(?:\.\d{1,3}){3}$/.test(bare);
}
