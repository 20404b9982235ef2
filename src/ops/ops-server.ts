/**
 * The operators' HTTP endpoint, apart from the web chat so it has no sign-in, no cookies and
 * nothing a person uses: /healthz (the process answers), /readyz (it can serve messages; what is
 * not ready is named) and /metrics (Prometheus text). Plain node:http: three GET routes need no
 * framework, and a probe must not depend on the chat's server being healthy.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorMessage, FatalError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { ReadinessReport } from "./readiness.ts";

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests); `url` says which. */
  port: number;
  readiness: () => Promise<ReadinessReport>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  logger: Logger;
}

export interface OpsServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { logger } = options;
  const server = createServer((request, response) => {
    route(request, response, options).catch((error: unknown) => {
      logger.error({ err: error, path: request.url }, "ops endpoint failed");
      if (!response.headersSent) send(response, 500, "text/plain; charset=utf-8", "internal error\n");
      else response.destroy();
    });
  });
  // Probes open a connection per request; kept-alive ones must not hold close() up.
  server.keepAliveTimeout = 1_000;
  await listen(server, options.host, options.port);
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, "health and metrics endpoints listening");
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function route(request: IncomingMessage, response: ServerResponse, options: OpsServerOptions) {
  const path = new URL(request.url ?? "/", "http://ops").pathname;
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("Allow", "GET, HEAD");
    return send(response, 405, "text/plain; charset=utf-8", "method not allowed\n");
  }
  switch (path) {
    case "/healthz":
      return send(response, 200, "text/plain; charset=utf-8", "ok\n");
    case "/readyz": {
      const report = await options.readiness();
      return send(response, report.ready ? 200 : 503, "application/json", `${JSON.stringify(report)}\n`);
    }
    case "/metrics": {
      const { contentType, body } = await options.metrics();
      return send(response, 200, contentType, body);
    }
    default:
      return send(
        response,
        404,
        "text/plain; charset=utf-8",
        "not found: try /healthz, /readyz or /metrics\n",
      );
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
    // Every answer is about now: a cached "ready" is a wrong one.
    "Cache-Control": "no-store",
  });
  response.end(response.req.method === "HEAD" ? undefined : body);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? "the address is in use"
          : error.code === "EACCES"
            ? "the port is not allowed"
            : error.code === "EADDRNOTAVAIL"
              ? "the address is not on this machine"
              : errorMessage(error);
      reject(
        new FatalError(
          "ops-listen-failed",
          `The health and metrics endpoints cannot listen on ${host}:${port}: ${why}. ` +
            "Set METRICS_PORT (or METRICS_HOST) to another one, or METRICS_PORT=0 to turn them off.",
          error,
        ),
      );
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
}
