/**
 * The bot's end of the channel to one sandbox supervisor: requests go out as JSON lines on
 * the container's stdin, replies come back on its stdout. One execution at a time; file and
 * control requests may interleave with it. Anything malformed breaks the channel on purpose:
 * the session then replaces the container rather than trust a confused peer.
 */
import { createHash, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.ts";
import { DockerStreamDemuxer } from "./docker-stream-demuxer.ts";
import { LineSplitter } from "./line-splitter.ts";
import {
  type DisplayMessage,
  parseSupervisorMessage,
  type ResultMessage,
  type SupervisorMessage,
} from "./supervisor-protocol.ts";
import type { DisplayOutput, OutputEvent, SandboxFile } from "./types.ts";

const MAX_LINE_BYTES = 32 * 1024 * 1024;
const MAX_STDERR_LOG_BYTES = 4096;
/** What one container may put into the bot's log through its stderr, in all. */
const MAX_STDERR_LOG_TOTAL_BYTES = 64 * 1024;
const PUT_CHUNK_BYTES = 768 * 1024;

export class ChannelBrokenError extends Error {}

export class RequestFailedError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    readonly size: number | null,
  ) {
    super(message);
  }
}

export interface RunRequest {
  code: string;
  timeoutMs: number;
  graceMs: number;
  outputLimitBytes: number;
  onOutput: (event: OutputEvent) => void;
  /** Runs no code: the kernel pays its first-use costs (imports, first cell, first PNG) now. */
  warmup?: boolean;
}

interface Pending {
  resolve: (message: SupervisorMessage) => void;
  reject: (error: Error) => void;
  onMessage?: (message: SupervisorMessage) => boolean;
}

export class SupervisorClient extends EventEmitter<{ broken: [reason: string]; ready: [] }> {
  private readonly splitter = new LineSplitter(MAX_LINE_BYTES);
  private readonly demuxer: DockerStreamDemuxer;
  private readonly pending = new Map<string, Pending>();
  private brokenReason: string | null = null;
  private readyReceived = false;
  /** Messages for no request of ours; logged once, then only counted, so nothing floods the log. */
  private unexpectedMessages = 0;
  private stderrLoggedBytes = 0;

  constructor(
    private readonly stream: Duplex,
    private readonly logger: Logger,
  ) {
    super();
    this.demuxer = new DockerStreamDemuxer((kind, payload) =>
      kind === "stdout" ? this.onStdout(payload) : this.onStderr(payload),
    );
    stream.on("data", (chunk: Buffer) => {
      try {
        this.demuxer.push(chunk);
      } catch (error) {
        this.breakChannel(`the sandbox sent an unreadable stream (${(error as Error).message})`);
      }
    });
    stream.on("end", () => this.breakChannel("the sandbox container stopped"));
    stream.on("close", () => this.breakChannel("the sandbox container stopped"));
    stream.on("error", (error: Error) =>
      this.breakChannel(`the connection to the sandbox failed: ${error.message}`),
    );
  }

  get broken(): string | null {
    return this.brokenReason;
  }

  /** Resolves when the supervisor's first kernel is ready (fresh containers announce it once). */
  waitForReady(timeoutMs: number): Promise<void> {
    if (this.readyReceived) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new ChannelBrokenError(`the sandbox did not start within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onBroken = (reason: string) => {
        cleanup();
        reject(new ChannelBrokenError(reason));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off("ready", onReady);
        this.off("broken", onBroken);
      };
      this.on("ready", onReady);
      this.on("broken", onBroken);
    });
  }

  async ping(timeoutMs: number): Promise<Extract<SupervisorMessage, { type: "pong" }>> {
    const reply = await this.request({ type: "ping" }, timeoutMs);
    if (reply.type !== "pong") throw new ChannelBrokenError(`unexpected reply ${reply.type} to ping`);
    return reply;
  }

  async restart(clearFiles: boolean, timeoutMs: number): Promise<void> {
    await this.request({ type: "restart", clear_files: clearFiles }, timeoutMs);
  }

  async interrupt(executionId: string, reason: "cancelled" | "timeout"): Promise<void> {
    await this.request({ type: "interrupt", execution_id: executionId, reason }, 5_000);
  }

  /** Runs code; resolves with the supervisor's result. Streams and displays go to onOutput. */
  run(request: RunRequest, id: string = randomUUID()): { id: string; done: Promise<ResultMessage> } {
    const done = new Promise<ResultMessage>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (message) => {
          this.pending.delete(id);
          resolve(message as ResultMessage);
        },
        reject: (error) => {
          this.pending.delete(id);
          reject(error);
        },
        onMessage: (message) => {
          if (message.type === "stream") {
            request.onOutput({ type: message.name, text: message.text });
            return true;
          }
          if (message.type === "display") {
            request.onOutput({ type: "display", display: toDisplay(message) });
            return true;
          }
          return false;
        },
      });
      this.send({
        type: "execute",
        id,
        code: request.code,
        timeout_ms: request.timeoutMs,
        grace_ms: request.graceMs,
        output_limit: request.outputLimitBytes,
        ...(request.warmup ? { warmup: true } : {}),
      });
    });
    return { id, done };
  }

  /**
   * Makes a fresh kernel as fast as a used one: loads the data stack and draws a first figure,
   * leaving the namespace and history as they were. Throws when the kernel could not do it.
   */
  async warmUp(timeoutMs: number): Promise<void> {
    const result = await this.run({
      code: "",
      timeoutMs,
      graceMs: 1_000,
      outputLimitBytes: 4_096,
      onOutput: () => undefined,
      warmup: true,
    }).done;
    if (result.status !== "ok")
      throw new ChannelBrokenError(`the kernel could not warm up (${result.status})`);
  }

  async listFiles(timeoutMs = 15_000): Promise<SandboxFile[]> {
    const reply = await this.request({ type: "list_files" }, timeoutMs);
    if (reply.type !== "files") throw new ChannelBrokenError(`unexpected reply ${reply.type} to list_files`);
    return reply.files;
  }

  async putFile(path: string, data: Buffer, timeoutMs = 60_000): Promise<void> {
    let offset = 0;
    do {
      const chunk = data.subarray(offset, offset + PUT_CHUNK_BYTES);
      await this.request(
        { type: "put_file", path, data: chunk.toString("base64"), append: offset > 0 },
        timeoutMs,
      );
      offset += chunk.length;
    } while (offset < data.length);
  }

  async getFile(path: string, maxBytes: number, timeoutMs = 60_000): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let received = 0;
    const reply = await this.request(
      { type: "get_file", path, max_bytes: maxBytes },
      timeoutMs,
      (message) => {
        if (message.type !== "file_chunk") return false;
        const chunk = Buffer.from(message.data, "base64");
        received += chunk.length;
        if (received > maxBytes)
          throw new RequestFailedError(`${path} is larger than ${maxBytes} bytes`, "too_large", null);
        chunks.push(chunk);
        return true;
      },
    );
    if (reply.type !== "file_end") throw new ChannelBrokenError(`unexpected reply ${reply.type} to get_file`);
    const data = Buffer.concat(chunks, received);
    const digest = createHash("sha256").update(data).digest("hex");
    if (data.length !== reply.size || digest !== reply.sha256) {
      throw new ChannelBrokenError(`${path} arrived damaged (size or checksum mismatch)`);
    }
    return data;
  }

  /** Ends the channel; `reason` is what a request still waiting on it, and the session, are told. */
  close(reason = "the session was closed"): void {
    this.breakChannel(reason);
    this.stream.destroy();
  }

  private request(
    message: Record<string, unknown>,
    timeoutMs: number,
    onMessage?: (message: SupervisorMessage) => boolean,
  ): Promise<SupervisorMessage> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ChannelBrokenError(`the sandbox did not answer ${String(message.type)} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          this.pending.delete(id);
          fn(value);
        };
      const entry: Pending = { resolve: settle(resolve), reject: settle(reject) };
      if (onMessage) entry.onMessage = onMessage;
      this.pending.set(id, entry);
      this.send({ ...message, id });
    });
  }

  private send(message: Record<string, unknown>): void {
    if (this.brokenReason) {
      const id = typeof message.id === "string" ? message.id : "";
      this.pending.get(id)?.reject(new ChannelBrokenError(this.brokenReason));
      return;
    }
    this.stream.write(`${JSON.stringify(message)}\n`);
  }

  private onStdout(payload: Buffer): void {
    let lines: Buffer[];
    try {
      lines = this.splitter.push(payload);
    } catch (error) {
      this.breakChannel(`the sandbox sent an oversized message (${(error as Error).message})`);
      return;
    }
    for (const line of lines) {
      if (this.brokenReason) return;
      let message: SupervisorMessage;
      try {
        message = parseSupervisorMessage(line);
      } catch (error) {
        this.breakChannel(`the sandbox sent a malformed message: ${(error as Error).message}`);
        return;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: SupervisorMessage): void {
    if (message.type === "ready") {
      this.readyReceived = true;
      this.emit("ready");
      return;
    }
    if (message.type === "kernel_restarted") {
      this.logger.warn(
        { reason: message.reason, protocolViolations: message.protocolViolations },
        "sandbox kernel restarted while idle",
      );
      return;
    }
    const pending = message.id === null ? undefined : this.pending.get(message.id);
    if (!pending) {
      // E.g. output of a run that a previous bot process started, which nobody waits for now.
      this.unexpectedMessages += 1;
      if (this.unexpectedMessages === 1) {
        this.logger.warn(
          { type: message.type, detail: message.type === "failure" ? message.message : undefined },
          "sandbox sent a message no request waits for; further ones are counted, not logged",
        );
      }
      return;
    }
    try {
      if (pending.onMessage?.(message)) return;
    } catch (error) {
      pending.reject(error as Error);
      return;
    }
    if (message.type === "failure") {
      pending.reject(new RequestFailedError(message.message, message.code, message.size));
    } else {
      pending.resolve(message);
    }
  }

  private onStderr(payload: Buffer): void {
    const room = MAX_STDERR_LOG_TOTAL_BYTES - this.stderrLoggedBytes;
    if (room <= 0) return;
    const logged = payload.subarray(0, Math.min(MAX_STDERR_LOG_BYTES, room));
    this.stderrLoggedBytes += logged.length;
    this.logger.debug({ stderr: logged.toString() }, "sandbox stderr");
    if (this.stderrLoggedBytes >= MAX_STDERR_LOG_TOTAL_BYTES) {
      this.logger.warn({ bytes: this.stderrLoggedBytes }, "sandbox stderr: the rest is not logged");
    }
  }

  private breakChannel(reason: string): void {
    if (this.brokenReason) return;
    this.brokenReason = reason;
    if (this.unexpectedMessages > 1) {
      this.logger.warn({ count: this.unexpectedMessages }, "sandbox messages no request waited for");
    }
    for (const entry of this.pending.values()) entry.reject(new ChannelBrokenError(reason));
    this.pending.clear();
    this.emit("broken", reason);
  }
}

function toDisplay(message: DisplayMessage): DisplayOutput {
  const { data, files } = message;
  const display: DisplayOutput = { isResult: message.result };
  if (data["text/plain"] !== undefined) display.text = data["text/plain"];
  if (data["text/html"] !== undefined) display.html = data["text/html"];
  if (data["image/png"] !== undefined) display.png = Buffer.from(data["image/png"], "base64");
  if (message.table) display.table = message.table;
  if (files["text/html"] !== undefined) display.page = Buffer.from(files["text/html"], "base64");
  if (files["text/csv"] !== undefined) display.csv = Buffer.from(files["text/csv"], "base64");
  return display;
}
