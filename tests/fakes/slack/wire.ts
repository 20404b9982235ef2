/**
 * HTTP plumbing shared by the fake's routes: reading bodies in the encodings Slack accepts
 * and answering JSON, so that the routes only deal with arguments and results.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Fields Slack takes as JSON text inside a form body; the WebClient JSON-encodes every object. */
const JSON_FIELDS = ["blocks", "attachments", "files", "metadata"];

export interface ParsedArgs {
  args: Record<string, unknown>;
  token: string | undefined;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(String(part)));
  return Buffer.concat(parts);
}

/** Slack reads the query string, a form, a multipart form or (with a bearer token) JSON. */
export async function parseArgs(req: IncomingMessage, body: Buffer): Promise<ParsedArgs> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = contentType(req);
  if (type === "application/json" && body.length > 0) {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (isRecord(parsed)) Object.assign(args, parsed);
  } else if (type === "application/x-www-form-urlencoded") {
    Object.assign(args, Object.fromEntries(new URLSearchParams(body.toString("utf8"))));
  } else if (type === "multipart/form-data") {
    for (const [key, value] of await formData(req, body)) {
      if (typeof value === "string") args[key] = value;
    }
  }
  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value === "string") args[field] = parseJsonOr(value, value);
  }
  const bodyToken = typeof args.token === "string" ? args.token : undefined;
  delete args.token;
  return { args, token: bearerToken(req) ?? bodyToken };
}

/** Parses multipart bodies with the platform's own parser rather than a hand-rolled one. */
export async function formData(req: IncomingMessage, body: Buffer): Promise<FormData> {
  const response = new Response(new Uint8Array(body), {
    headers: { "content-type": req.headers["content-type"] ?? "" },
  });
  return response.formData();
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/** The media type without parameters such as `charset` or `boundary`. */
export function contentType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, type = "text/plain"): void {
  res.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function parseJsonOr<T>(text: string, fallback: T): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
