/**
 * A fake Kubernetes API server on 127.0.0.1, for the pods a sandbox backend needs, speaking the
 * wire protocol @kubernetes/client-node speaks to a real one:
 *
 *   POST   /api/v1/namespaces/{ns}/pods                 201 Pod | 409 AlreadyExists | 422 Invalid | 403
 *   GET    /api/v1/namespaces/{ns}/pods?labelSelector=  200 PodList (equality selectors)
 *   GET    /api/v1/namespaces/{ns}/pods/{name}          200 Pod | 404 NotFound
 *   PATCH  /api/v1/namespaces/{ns}/pods/{name}          200 Pod | 409 Conflict | 415 (merge patch of labels
 *                                                       and annotations only: metadata-patch.ts)
 *   DELETE /api/v1/namespaces/{ns}/pods/{name}          200 Pod (terminating) | 404 NotFound
 *   GET    /api/v1/namespaces/{ns}/pods/{name}/attach   WebSocket, v4.channel.k8s.io (attach.ts)
 *
 * Every request needs the bearer token (401 Unauthorized otherwise) and is recorded, so a test
 * can assert on what the client sent. Each pod runs as a real Docker container (docker-kubelet.ts);
 * errors are metav1.Status objects (api-status.ts).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { V1Pod } from "@kubernetes/client-node";
import type Dockerode from "dockerode";
import {
  type ApiStatus,
  ApiStatusError,
  badRequest,
  methodNotAllowed,
  noSuchPath,
  notFound,
  unauthorized,
} from "./api-status.ts";
import { bridgeAttach, createAttachServer, offersChannelProtocol, refuseUpgrade } from "./attach.ts";
import { DockerKubelet } from "./docker-kubelet.ts";
import { parseLabelSelector } from "./label-selector.ts";
import { mergeMetadataPatch } from "./metadata-patch.ts";
import { admitBaseline, admitRuntimeClass, validatePod, validatePodMetadata } from "./pod-admission.ts";
import { PodStore } from "./pod-store.ts";

/** The API server's own cap on a request body. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const PODS = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/;
const POD = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;
const ATTACH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/attach$/;

export interface FakeKubernetesOptions {
  docker: Dockerode;
  /** On every container the fake makes (label code-interpreter-bot.scope), for clean-up. */
  scope: string;
  /** The bearer token it accepts; random when absent. */
  token?: string;
  /** Namespaces that exist; `default` when absent. */
  namespaces?: string[];
  podPidsLimit?: number;
  runtimeClasses?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** A WebSocket upgrade (attach). */
  upgrade: boolean;
}

export class FakeKubernetes {
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  readonly pods = new PodStore();
  readonly kubelet: DockerKubelet;
  private readonly namespaces: Set<string>;
  private readonly server: Server;
  private readonly attachServer = createAttachServer();
  private address = "";

  private constructor(options: FakeKubernetesOptions) {
    this.token = options.token ?? randomBytes(16).toString("hex");
    this.namespaces = new Set(options.namespaces ?? ["default"]);
    this.kubelet = new DockerKubelet({
      docker: options.docker,
      scope: options.scope,
      ...(options.podPidsLimit ? { podPidsLimit: options.podPidsLimit } : {}),
      ...(options.runtimeClasses ? { runtimeClasses: options.runtimeClasses } : {}),
    });
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on("upgrade", (request: IncomingMessage, connection: Duplex, head: Buffer) => {
      void this.upgrade(request, connection, head);
    });
  }

  static async start(options: FakeKubernetesOptions): Promise<FakeKubernetes> {
    const fake = new FakeKubernetes(options);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.address = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  get url(): string {
    return this.address;
  }

  /**
   * Closes every attach WebSocket while the pods run on, as an API server that restarts (or a
   * proxy closing idle connections) does. How many it closed.
   */
  dropAttachConnections(): number {
    const clients = [...this.attachServer.clients];
    for (const client of clients) client.terminate();
    return clients.length;
  }

  /** Stops serving and removes every container the fake's node made. */
  async close(): Promise<void> {
    for (const client of this.attachServer.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.kubelet.shutdown();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake");
    try {
      const body = await readJson(request);
      this.requests.push(record(request, url, body, false));
      this.authorize(request);
      const [code, answer] = this.route(request.method ?? "GET", url, body, request.headers["content-type"]);
      respond(response, code, answer);
    } catch (error) {
      const status =
        error instanceof ApiStatusError
          ? error.status
          : internalError(error instanceof Error ? error.message : String(error));
      respond(response, status.code, status);
    }
  }

  private route(method: string, url: URL, body: unknown, contentType?: string): [number, unknown] {
    const path = url.pathname;
    const collection = PODS.exec(path);
    if (collection) {
      const namespace = decodeURIComponent(collection[1] ?? "");
      if (method === "GET") return [200, this.list(namespace, url.searchParams.get("labelSelector") ?? "")];
      if (method === "POST") return [201, this.create(namespace, body)];
      throw methodNotAllowed(method);
    }
    const item = POD.exec(path);
    if (item) {
      const namespace = decodeURIComponent(item[1] ?? "");
      const name = decodeURIComponent(item[2] ?? "");
      if (method === "GET") return [200, this.pods.get(namespace, name)];
      if (method === "DELETE") return [200, this.delete(namespace, name, url, body)];
      if (method === "PATCH") return [200, this.patch(namespace, name, contentType, body)];
      throw methodNotAllowed(method);
    }
    if (ATTACH.test(path)) throw badRequest("Upgrade request required");
    throw noSuchPath();
  }

  private list(namespace: string, selector: string): unknown {
    const items = this.pods.list(namespace, parseLabelSelector(selector));
    return {
      kind: "PodList",
      apiVersion: "v1",
      metadata: { resourceVersion: this.pods.resourceVersion },
      items,
    };
  }

  private create(namespace: string, body: unknown): V1Pod {
    if (!this.namespaces.has(namespace)) throw notFound("namespaces", namespace);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw badRequest("the request body is not a Pod");
    const pod = body as V1Pod;
    if (pod.kind !== undefined && pod.kind !== "Pod")
      throw badRequest(`the request body is a ${pod.kind}, not a Pod`);
    if (pod.metadata?.namespace !== undefined && pod.metadata.namespace !== namespace) {
      throw badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    const generate = pod.metadata?.generateName;
    const named: V1Pod =
      !pod.metadata?.name && generate
        ? {
            ...pod,
            metadata: { ...pod.metadata, name: `${generate}${randomBytes(4).toString("hex").slice(0, 5)}` },
          }
        : pod;
    validatePod(named);
    admitBaseline(named);
    admitRuntimeClass(named, this.kubelet.runtimeClasses);
    const stored = this.pods.create(namespace, named);
    const name = stored.metadata?.name ?? "";
    this.kubelet.run(stored.metadata?.uid ?? "", stored, (update) =>
      this.pods.report(namespace, name, update),
    );
    return snapshot(stored);
  }

  private patch(namespace: string, name: string, contentType: string | undefined, body: unknown): V1Pod {
    const metadata = mergeMetadataPatch(this.pods.get(namespace, name), contentType, body);
    validatePodMetadata({ metadata: { name, ...metadata } });
    return snapshot(this.pods.relabel(namespace, name, metadata));
  }

  private delete(namespace: string, name: string, url: URL, body: unknown): V1Pod {
    const pod = this.pods.get(namespace, name);
    const fromBody = (body as { gracePeriodSeconds?: unknown } | null)?.gracePeriodSeconds;
    const fromQuery = url.searchParams.get("gracePeriodSeconds");
    const grace =
      fromQuery !== null
        ? Number(fromQuery)
        : typeof fromBody === "number"
          ? fromBody
          : (pod.spec?.terminationGracePeriodSeconds ?? 30);
    const answer = snapshot(this.pods.markDeleting(namespace, name, grace));
    // The node stops the container within the grace period; then the pod is gone.
    void this.kubelet.kill(pod.metadata?.uid ?? "", grace).finally(() => this.pods.remove(namespace, name));
    return answer;
  }

  private async upgrade(request: IncomingMessage, connection: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake");
    this.requests.push(record(request, url, null, true));
    try {
      this.authorize(request);
      const match = ATTACH.exec(url.pathname);
      if (!match) throw noSuchPath();
      const namespace = decodeURIComponent(match[1] ?? "");
      const name = decodeURIComponent(match[2] ?? "");
      const pod = this.pods.get(namespace, name);
      const phase = pod.status?.phase ?? "Pending";
      if (phase === "Succeeded" || phase === "Failed") {
        throw badRequest(`cannot attach a container in a completed pod; current phase is ${phase}`);
      }
      const containers = pod.spec?.containers ?? [];
      const container =
        url.searchParams.get("container") ?? (containers.length === 1 ? containers[0]?.name : undefined);
      if (!container || !containers.some((c) => c.name === container)) {
        throw badRequest(`container ${container ?? "(none)"} is not valid for pod ${name}`);
      }
      if (!pod.status?.containerStatuses?.some((s) => s.name === container && s.state?.running)) {
        throw badRequest(`container ${container} in pod ${name} is not running`);
      }
      if (!offersChannelProtocol(request)) throw badRequest("the fake speaks only v4.channel.k8s.io");
      const streams = {
        stdin: flag(url, "stdin"),
        stdout: flag(url, "stdout"),
        stderr: flag(url, "stderr"),
      };
      const attached = await this.kubelet.attach(pod.metadata?.uid ?? "", streams);
      this.attachServer.handleUpgrade(request, connection, head, (socket) =>
        bridgeAttach(socket, attached, streams),
      );
    } catch (error) {
      refuseUpgrade(
        connection,
        error instanceof ApiStatusError
          ? error.status
          : internalError(error instanceof Error ? error.message : String(error)),
      );
    }
  }

  private authorize(request: IncomingMessage): void {
    if (request.headers.authorization !== `Bearer ${this.token}`) throw unauthorized();
  }
}

function record(request: IncomingMessage, url: URL, body: unknown, upgrade: boolean): RecordedRequest {
  return {
    method: request.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body,
    upgrade,
  };
}

function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  return value === "true" || value === "1";
}

/** The pod as JSON sees it now: answers must not change when the store does later. */
function snapshot(pod: V1Pod): V1Pod {
  return JSON.parse(JSON.stringify(pod)) as V1Pod;
}

function internalError(message: string): ApiStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "InternalError",
    code: 500,
  };
}

function respond(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw badRequest("the request body is too large");
    chunks.push(chunk);
  }
  if (size === 0) return null;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw badRequest("the request body is not valid JSON");
  }
}
