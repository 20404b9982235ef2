/**
 * HTTP plumbing shared by the fake's routes: reading bodies, answering JSON or nothing, and
 * Discord's error body `{ message, code, errors? }`, so that routes deal in answers only.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode } from "./protocol.ts";

/** What a route answers; `body` undefined means no body (204 and friends). */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface DiscordErrorBody {
  message: string;
  code: number;
  errors?: Record<string, unknown>;
}

export function ok(body: unknown, status = 200): Answer {
  return { status, body };
}

export function noContent(): Answer {
  return { status: 204 };
}

export function fail(status: number, code: number, message: string): Answer {
  const body: DiscordErrorBody = { message, code };
  return { status, body };
}

/**
 * Discord's 400 for a field that breaks a rule: `errors` mirrors the body's shape down to the
 * field, which holds `_errors: [{ code, message }]` (discord.js flattens it into its message).
 */
export function invalidFormBody(path: ReadonlyArray<string | number>, code: string, message: string): Answer {
  let errors: Record<string, unknown> = { _errors: [{ code, message }] };
  for (const key of [...path].reverse()) errors = { [String(key)]: errors };
  const body: DiscordErrorBody = { message: "Invalid Form Body", code: ErrorCode.InvalidFormBody, errors };
  return { status: 400, body };
}

export const unknownChannel = (): Answer => fail(404, ErrorCode.UnknownChannel, "Unknown Channel");
export const unknownMessage = (): Answer => fail(404, ErrorCode.UnknownMessage, "Unknown Message");

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(String(part)));
  return Buffer.concat(parts);
}

export function send(res: ServerResponse, answer: Answer): void {
  const headers: Record<string, string | number> = { ...answer.headers };
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  headers["content-type"] = "application/json";
  headers["content-length"] = Buffer.byteLength(text);
  res.writeHead(answer.status, headers);
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** The media type without parameters such as `charset` or `boundary`. */
export function contentType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Discord's timestamp format: ISO 8601 with microseconds and an explicit `+00:00`. */
export function isoTime(at: Date = new Date()): string {
  return at.toISOString().replace("Z", "000+00:00");
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
