/**
 * The REST front door, `/api/v10/...`: finds the route, checks `Authorization: Bot <token>`
 * (interaction callbacks and webhooks take none), applies the rate limits, parses the body,
 * runs the route and records the call. Discord's generic errors: `401: Unauthorized`,
 * `404: Not Found`, `405: Method Not Allowed`, each with `code: 0`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAnswer, type ParsedBody, parseBody } from "./multipart.ts";
import { API_VERSION, ErrorCode } from "./protocol.ts";
import type { RateLimits } from "./rate-limits.ts";
import type { Recorder } from "./recorder.ts";
import type { RouteName } from "./types.ts";
import { type Answer, fail, readBody, send } from "./wire.ts";

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: ParsedBody;
}

export interface RouteSpec {
  name: RouteName;
  /** Interaction callbacks and webhooks are authorized by the token in their path instead. */
  auth: "bot" | "none";
  handle(ctx: RouteContext): Answer;
}

interface CompiledRoute {
  spec: RouteSpec;
  method: string;
  segments: string[];
}

export const API_PREFIX = "/api";
const VERSIONED = new RegExp(`^${API_PREFIX}/v(\\d+)(/.*)$`);
/** Discord buckets a route by its first of these parameters, its "major parameter". */
const MAJOR_PARAMETERS = ["channel_id", "guild_id", "interaction_token"];

export class RestApi {
  private readonly routes: CompiledRoute[];

  constructor(
    specs: RouteSpec[],
    private readonly ctx: { token: string; recorder: Recorder; limits: RateLimits },
  ) {
    const compiled = specs.map((spec) => {
      const [method = "", path = ""] = spec.name.split(" ");
      return { spec, method, segments: path.split("/").slice(1) };
    });
    // Literal segments win over parameters: `/users/@me` is not the user `@me`.
    const parameters = (route: CompiledRoute) => route.segments.filter((s) => s.startsWith("{")).length;
    this.routes = compiled.sort((a, b) => parameters(a) - parameters(b));
  }

  handles(path: string): boolean {
    return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const raw = await readBody(req);
    const method = req.method ?? "GET";
    const versioned = VERSIONED.exec(url.pathname);
    // Discord serves unversioned paths with its default version; the fake only speaks v10.
    const path = versioned ? (versioned[2] ?? "/") : url.pathname.slice(API_PREFIX.length);
    const wrongVersion = versioned !== null && versioned[1] !== String(API_VERSION);
    const match = wrongVersion ? undefined : this.match(method, path);
    let parsed: ParsedBody = { json: {}, files: [], encoding: "none" };
    let answer: Answer;
    if (!match || "status" in match) {
      answer = match ?? fail(404, ErrorCode.General, "404: Not Found");
    } else {
      const outcome = await this.run(match.route.spec, match.params, req, url, raw);
      answer = outcome.answer;
      parsed = outcome.body ?? parsed;
    }
    send(res, answer);
    const call = {
      method,
      path,
      query: url.search,
      route: match && !("status" in match) ? match.route.spec.name : undefined,
      status: answer.status,
      authorization: req.headers.authorization,
      userAgent: req.headers["user-agent"],
      body: parsed.encoding === "none" ? undefined : parsed.json,
      files: parsed.files.map((f) => ({ field: f.field, name: f.filename, size: f.data.length })),
      at: Date.now(),
    };
    this.ctx.recorder.calls.push(call);
    this.ctx.recorder.emit("rest-call", call);
  }

  private async run(
    spec: RouteSpec,
    params: Record<string, string>,
    req: IncomingMessage,
    url: URL,
    raw: Buffer,
  ): Promise<{ answer: Answer; body?: ParsedBody }> {
    if (spec.auth === "bot" && req.headers.authorization !== `Bot ${this.ctx.token}`) {
      return { answer: fail(401, ErrorCode.General, "401: Unauthorized") };
    }
    const major = MAJOR_PARAMETERS.map((name) => params[name]).find((value) => value !== undefined) ?? "";
    const admission = this.ctx.limits.admit(spec.name, major);
    if ("refusal" in admission) return { answer: admission.refusal };
    const body = await parseBody(req, raw);
    if (isAnswer(body)) return { answer: body };
    const answer = spec.handle({ params, query: url.searchParams, body });
    return { answer: { ...answer, headers: { ...admission.headers, ...answer.headers } }, body };
  }

  private match(
    method: string,
    path: string,
  ): { route: CompiledRoute; params: Record<string, string> } | Answer | undefined {
    const segments = path.split("/").slice(1);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method) return { route, params };
      pathMatched = true;
    }
    return pathMatched ? fail(405, ErrorCode.General, "405: Method Not Allowed") : undefined;
  }
}

function matchSegments(template: string[], actual: string[]): Record<string, string> | undefined {
  if (template.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    let value: string;
    try {
      value = decodeURIComponent(actual[index] ?? "");
    } catch {
      return undefined;
    }
    if (part.startsWith("{") && part.endsWith("}")) {
      params[part.slice(1, -1)] = value;
    } else if (part !== value) {
      return undefined;
    }
  }
  return params;
}
