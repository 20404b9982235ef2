/**
 * Sandbox pods through the Kubernetes API, in one namespace: create, read, list, delete, wait for
 * one to run, and attach to it as one byte stream. A thin layer over @kubernetes/client-node that
 * turns its failures into errors saying what to do. It knows pods; it knows nothing of sessions.
 */
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ContainerStatus,
  type V1Pod,
} from "@kubernetes/client-node";
// Not exported from the package's index; the package has no exports map, and its version is
// pinned exactly in package.json, so this path holds. Its Attach class would be the public way,
// but it drops the final status and, on a v5 close signal, ends the process's own stdout.
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
import { BotError, type ErrorAction, FatalError, RetryableError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { KubeAttachStream } from "./attach-stream.ts";
import { SANDBOX_CONTAINER } from "./pod-spec.ts";

const DEFAULT_POLL_MS = 250;
/** Waiting reasons that do not pass by themselves: waiting longer only delays the error. */
const HOPELESS_WAITING = new Set([
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

export interface KubePodsOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  logger: Logger;
  /** How often waitUntilRunning reads the pod. */
  pollIntervalMs?: number;
}

/** The API server refused a request; `status` and `reason` are its Status object's. */
export class KubernetesApiError extends BotError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    cause?: unknown,
  ) {
    super(`kubernetes_${reason.toLowerCase() || status}`, message, { action: actionFor(status), cause });
  }
}

export class KubePods {
  private readonly api: CoreV1Api;

  constructor(private readonly options: KubePodsOptions) {
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  get namespace(): string {
    return this.options.namespace;
  }

  async createPod(pod: V1Pod): Promise<V1Pod> {
    try {
      return await this.api.createNamespacedPod({ namespace: this.namespace, body: pod });
    } catch (error) {
      throw explainKubernetesError(error, `create pod ${pod.metadata?.name ?? "(unnamed)"}`);
    }
  }

  /** The pod, or null when there is none of that name. */
  async readPod(name: string): Promise<V1Pod | null> {
    try {
      return await this.api.readNamespacedPod({ name, namespace: this.namespace });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return null;
      throw explainKubernetesError(error, `read pod ${name}`);
    }
  }

  /** Pods matching an equality selector such as `code-interpreter-bot=1,code-interpreter-bot.scope=bot`. */
  async listPods(labelSelector: string): Promise<V1Pod[]> {
    try {
      const list = await this.api.listNamespacedPod({ namespace: this.namespace, labelSelector });
      return list.items;
    } catch (error) {
      throw explainKubernetesError(error, `list pods (${labelSelector})`);
    }
  }

  /**
   * Sets labels and annotations on a pod (a JSON merge patch: the keys given change, the rest
   * stay). With `resourceVersion`, the API server refuses (409) if the pod changed since it was
   * read, so two writers cannot both think they won.
   */
  async patchMetadata(
    name: string,
    metadata: {
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
      resourceVersion?: string;
    },
  ): Promise<V1Pod> {
    try {
      return await this.api.patchNamespacedPod(
        { name, namespace: this.namespace, body: { metadata } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw explainKubernetesError(error, `label pod ${name}`);
    }
  }

  /** Deletes the pod; one that is already gone is fine. Its containers stop after the grace period. */
  async deletePod(name: string): Promise<void> {
    try {
      await this.api.deleteNamespacedPod({ name, namespace: this.namespace });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw explainKubernetesError(error, `delete pod ${name}`);
    }
  }

  /**
   * Resolves with the pod once its container runs. Throws when it stopped or cannot start (the
   * error names the reason the kubelet gave), or when `timeoutMs` passes first.
   */
  async waitUntilRunning(name: string, timeoutMs: number, signal?: AbortSignal): Promise<V1Pod> {
    const deadline = Date.now() + timeoutMs;
    let last = "it was not created";
    for (;;) {
      signal?.throwIfAborted();
      const pod = await this.readPod(name);
      if (!pod)
        throw new RetryableError("sandbox_pod_gone", `sandbox pod ${name} disappeared while starting`);
      const verdict = startVerdict(pod);
      if (verdict.kind === "running") return pod;
      if (verdict.kind === "stopped") {
        throw new RetryableError("sandbox_pod_stopped", `sandbox pod ${name} stopped: ${verdict.detail}`);
      }
      if (verdict.kind === "hopeless") {
        throw new FatalError(
          "sandbox_pod_unstartable",
          `sandbox pod ${name} cannot start: ${verdict.detail}`,
        );
      }
      last = verdict.detail;
      if (Date.now() >= deadline) {
        throw new RetryableError(
          "sandbox_pod_start_timeout",
          `sandbox pod ${name} did not run within ${Math.round(timeoutMs / 1000)} s (${last})`,
        );
      }
      const pause = Math.max(
        0,
        Math.min(this.options.pollIntervalMs ?? DEFAULT_POLL_MS, deadline - Date.now()),
      );
      await sleep(pause, undefined, signal ? { signal } : {});
    }
  }

  /**
   * The exit code of the pod's container once the node reports it ended; null when the pod is
   * gone (or being deleted) first, or `timeoutMs` passes.
   */
  async waitUntilExited(name: string, timeoutMs: number): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pod = await this.readPod(name);
      if (!pod || pod.metadata?.deletionTimestamp) return null;
      const state = pod.status?.containerStatuses?.find((s) => s.name === SANDBOX_CONTAINER)?.state;
      if (state?.terminated) return state.terminated.exitCode;
      if (Date.now() >= deadline) return null;
      await sleep(this.options.pollIntervalMs ?? DEFAULT_POLL_MS);
    }
  }

  /**
   * Attaches to the sandbox container's stdin, stdout and stderr. The stream reads as Docker's
   * multiplexed attach stream and writes stdin (see attach-stream.ts). Only a running container
   * can be attached to, so output written before this (the supervisor's `ready`) is not seen.
   */
  async attachStream(name: string, container: string = SANDBOX_CONTAINER): Promise<KubeAttachStream> {
    const query = new URLSearchParams({
      container,
      stdin: "true",
      stdout: "true",
      stderr: "true",
      tty: "false",
    });
    const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(name)}/attach?${query}`;
    const logger = this.options.logger.child({ pod: name });
    const stream = new KubeAttachStream(logger);
    // The handler ends or pauses these on a v5 close signal; by default they are the process's own.
    const inert = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    const handler = new WebSocketHandler(this.options.kubeConfig, undefined, inert);
    let socket: Awaited<ReturnType<WebSocketHandler["connect"]>>;
    try {
      socket = await handler.connect(path, null, (channel, payload) => {
        stream.receive(channel, payload);
        return true;
      });
    } catch (error) {
      throw await this.explainAttachFailure(name, error);
    }
    socket.on("close", () => stream.socketClosed());
    socket.on("error", (error: Error) => stream.destroy(error));
    stream.bind(socket);
    return stream;
  }

  /**
   * The WebSocket client reports a refused upgrade only as "Unexpected server response: 404";
   * the pod itself says why.
   */
  private async explainAttachFailure(name: string, error: unknown): Promise<Error> {
    const detail = socketErrorMessage(error);
    const pod = await this.readPod(name).catch(() => undefined);
    if (pod === null) {
      return new KubernetesApiError(
        404,
        "NotFound",
        `cannot attach to sandbox pod ${name}: it does not exist`,
        error,
      );
    }
    const state = pod ? startVerdict(pod).detail : "its state is unknown";
    return new RetryableError(
      "sandbox_attach_failed",
      `cannot attach to sandbox pod ${name} (${detail}; ${state})`,
      error,
    );
  }
}

type StartVerdict =
  | { kind: "running"; detail: string }
  | { kind: "starting"; detail: string }
  | { kind: "stopped"; detail: string }
  | { kind: "hopeless"; detail: string };

/** Where a pod is on its way to running, in words for an error message. */
export function startVerdict(pod: V1Pod): StartVerdict {
  const phase = pod.status?.phase ?? "Pending";
  const container = pod.status?.containerStatuses?.find((status) => status.name === SANDBOX_CONTAINER);
  if (pod.metadata?.deletionTimestamp) return { kind: "stopped", detail: "it is being deleted" };
  const terminated = container?.state?.terminated;
  if (phase === "Failed" || phase === "Succeeded" || terminated) {
    return {
      kind: "stopped",
      detail: stoppedDetail(phase, pod.status?.reason, pod.status?.message, container),
    };
  }
  if (phase === "Running" && container?.state?.running) return { kind: "running", detail: "running" };
  const waiting = container?.state?.waiting;
  if (waiting?.reason && HOPELESS_WAITING.has(waiting.reason)) {
    return { kind: "hopeless", detail: withMessage(waiting.reason, waiting.message) };
  }
  if (waiting?.reason)
    return { kind: "starting", detail: `${phase}, ${withMessage(waiting.reason, waiting.message)}` };
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (unscheduled)
    return {
      kind: "starting",
      detail: `not scheduled: ${withMessage(unscheduled.reason ?? "", unscheduled.message)}`,
    };
  return { kind: "starting", detail: phase };
}

function stoppedDetail(
  phase: string,
  reason: string | undefined,
  message: string | undefined,
  container: V1ContainerStatus | undefined,
): string {
  const terminated = container?.state?.terminated;
  if (terminated) {
    const why = terminated.reason ?? (terminated.exitCode === 0 ? "Completed" : "Error");
    return `${phase}, ${withMessage(`${why} (exit code ${terminated.exitCode})`, terminated.message)}`;
  }
  return reason ? `${phase}, ${withMessage(reason, message)}` : phase;
}

function withMessage(reason: string, message: string | undefined): string {
  return message ? `${reason}: ${message.slice(0, 500)}` : reason;
}

function actionFor(status: number): ErrorAction {
  if (status === 401 || status === 403) return "stop";
  if (status === 409 || status === 429 || status >= 500) return "retry";
  return "tell-user";
}

/** Turns the client's failures into errors that say what the admin should do. */
export function explainKubernetesError(error: unknown, what: string): Error {
  if (error instanceof ApiException) {
    const status = statusOf(error.body);
    const reason = status.reason ?? "";
    const detail = status.message ?? `HTTP ${error.code}`;
    if (error.code === 401) {
      return new KubernetesApiError(
        401,
        "Unauthorized",
        `The Kubernetes API did not accept the bot's credentials (to ${what}). Check the kubeconfig or the ServiceAccount token.`,
        error,
      );
    }
    if (error.code === 403) {
      return new KubernetesApiError(
        403,
        reason || "Forbidden",
        `The Kubernetes API forbade the bot to ${what}: ${detail}. Apply deploy/kubernetes/20-role.yaml and 30-role-binding.yaml.`,
        error,
      );
    }
    return new KubernetesApiError(error.code, reason, `Could not ${what}: ${detail}`, error);
  }
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.cause?.code;
  return new RetryableError(
    "kubernetes_unavailable",
    `Could not ${what}: the Kubernetes API did not answer (${typeof code === "string" ? code : socketErrorMessage(error)}).`,
    error,
  );
}

interface StatusFields {
  reason?: string;
  message?: string;
}

/** The Status object in an ApiException's body, which the client leaves as text. */
function statusOf(body: unknown): StatusFields {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (typeof value !== "object" || value === null) return {};
  const record = value as Record<string, unknown>;
  const fields: StatusFields = {};
  if (typeof record.reason === "string") fields.reason = record.reason;
  if (typeof record.message === "string") fields.message = record.message;
  return fields;
}

/** The `ws` client rejects with an ErrorEvent-like object, not an Error. */
function socketErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  const event = error as { message?: unknown; error?: unknown } | null;
  if (event?.error instanceof Error) return event.error.message;
  return typeof event?.message === "string" ? event.message : String(error);
}
