/**
 * Who may use the web chat, checked on every request before any route runs:
 * - on a loopback address, only requests that name a loopback host (a web page whose own name
 *   was pointed at 127.0.0.1, DNS rebinding, does not);
 * - with WEB_TOKEN, only requests that carry it as a bearer token or carry the sign-in cookie
 *   (an HMAC of the token, HttpOnly and SameSite=Strict), compared in constant time;
 * - a request that changes something must carry the X-CIB-Request header, which a form on
 *   another site cannot send, and an Origin, when there is one, of this very server.
 * The sign-in page and what it loads are the only things served without the token.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const SESSION_COOKIE = "cib_session";
/** The custom header every state-changing request must carry (CSRF). */
export const CSRF_HEADER = "x-cib-request";

/** Served without the token: the sign-in page, its script and the style sheet they share. */
const PUBLIC_PATHS = new Set(["/signin", "/signin.html", "/signin.js", "/app.css", "/favicon.svg"]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface WebAuthOptions {
  /** Null: no sign-in (loopback only, enforced by the config). */
  token: string | null;
  /** Whether the server listens on a loopback address. */
  loopback: boolean;
}

/** The cookie's value: derived from the token, so the token itself never sits in a browser. */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("code-interpreter-bot web session").digest("base64url");
}

/** Compares secrets in time that does not depend on where they differ, or on their lengths. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHmac("sha256", "compare").update(given).digest();
  const b = createHmac("sha256", "compare").update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

export function hasValidCredentials(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization;
  const bearer = header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : null;
  if (bearer !== null && safeEqual(bearer, token)) return true;
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie !== undefined && safeEqual(cookie, sessionValue(token));
}

/** Whether a Host header names this machine's loopback interface. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host
    .replace(/:\d+$/, "")
    .replace(/^\[(.*)\]$/, "$1")
    .toLowerCase();
  return name === "localhost" || name === "::1" || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** Whether an Origin header names the server the request was sent to. */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

export function registerAuth(app: FastifyInstance, options: WebAuthOptions): void {
  app.addHook("onRequest", async (request, reply) => {
    const host = request.headers.host;
    if (options.loopback && !isLoopbackHost(host)) {
      return refuse(
        reply,
        403,
        "This web chat answers only on its loopback address (127.0.0.1 or localhost).",
      );
    }
    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      const site = request.headers["sec-fetch-site"];
      if (
        (origin !== undefined && !isSameOrigin(origin, host)) ||
        (site !== undefined && site !== "same-origin")
      ) {
        return refuse(reply, 403, "Requests from other sites are refused.");
      }
      if (request.headers[CSRF_HEADER] !== "1") {
        return refuse(
          reply,
          403,
          `A request that changes something must carry the ${CSRF_HEADER}: 1 header.`,
        );
      }
    }
    const token = options.token;
    const path = request.url.split("?")[0] ?? "";
    if (token === null || PUBLIC_PATHS.has(path) || (path === "/api/signin" && request.method === "POST"))
      return;
    if (hasValidCredentials(request, token)) return;
    if (request.method === "GET" && (path === "/" || path === "/index.html")) {
      return reply.redirect("/signin", 303);
    }
    return refuse(reply, 401, "Sign in first: send the web chat's token (WEB_TOKEN) as a bearer token.");
  });
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header("cache-control", "no-store").send({ error: message });
}

/** Sign-in and sign-out: the cookie carries the derived session value, never the token. */
export function registerSignIn(app: FastifyInstance, token: string | null): void {
  app.post("/api/signin", async (request, reply) => {
    const given = (request.body as { token?: unknown } | null)?.token;
    if (token === null) return reply.send({ ok: true });
    if (typeof given !== "string" || !safeEqual(given, token)) {
      return refuse(reply, 401, "That is not the web chat's token (WEB_TOKEN).");
    }
    reply.setCookie(SESSION_COOKIE, sessionValue(token), {
      httpOnly: true,
      sameSite: "strict",
      path: "/",
      secure: request.protocol === "https",
      maxAge: 30 * 24 * 60 * 60,
    });
    return reply.send({ ok: true });
  });
  app.post("/api/signout", async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.send({ ok: true });
  });
}
