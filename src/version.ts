/** The bot's version, from its package.json, for the admins' `status` and the logs. */
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function botVersion(): string {
  if (cached === undefined) {
    try {
      const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
      const version = (JSON.parse(text) as { version?: unknown }).version;
      cached = typeof version === "string" ? version : "unknown";
    } catch {
      cached = "unknown";
    }
  }
  return cached;
}
