/** Parsed JSON from outside the bot (a kernel, a model, an image) is unknown until checked. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
