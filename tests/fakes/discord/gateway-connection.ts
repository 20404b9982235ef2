/**
 * One gateway WebSocket: frames go out in order, as JSON text, or compressed the two ways
 * Discord compresses: `compress=zlib-stream` (one deflate context for the whole connection,
 * each frame ending in a Z_SYNC_FLUSH `00 00 ff ff`) or IDENTIFY's `compress: true` (each
 * dispatch deflated on its own). Every frame, in or out, is recorded before encoding.
 */
import { constants, createDeflate, type Deflate, deflateSync } from "node:zlib";
import type { WebSocket } from "ws";
import { Op } from "./protocol.ts";
import type { Recorder } from "./recorder.ts";
import type { GatewayConnectionRecord } from "./types.ts";
import type { GatewayPayload } from "./wire-types.ts";

export class GatewayConnection {
  /** Set once IDENTIFY or RESUME succeeded; cleared by INVALID_SESSION. */
  sessionId: string | undefined;
  /** READY or RESUMED has gone out: dispatches may follow. */
  live = false;
  /** IDENTIFY asked for payload compression. */
  identifyCompress = false;
  /** The fake, not the client, ended the connection. */
  closingByServer = false;
  private readonly deflate: Deflate | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    readonly record: GatewayConnectionRecord,
    private readonly recorder: Recorder,
  ) {
    this.deflate = record.compress === "zlib-stream" ? createDeflate() : undefined;
  }

  get id(): number {
    return this.record.id;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(op: number, d: unknown, dispatch?: { s: number; t: string }): void {
    const payload: GatewayPayload = { op, d, s: dispatch?.s ?? null, t: dispatch?.t ?? null };
    const frame = { connection: this.id, direction: "out" as const, payload, at: Date.now() };
    this.recorder.frames.push(frame);
    this.recorder.emit("gateway-frame", frame);
    const text = JSON.stringify(payload);
    this.queue = this.queue
      .then(() => this.encode(text, op === Op.Dispatch))
      .then(
        (data) =>
          new Promise<void>((resolve) => {
            if (!this.open) return resolve();
            this.ws.send(data, () => resolve());
          }),
      )
      .catch(() => undefined);
  }

  recordIncoming(payload: GatewayPayload): void {
    const frame = { connection: this.id, direction: "in" as const, payload, at: Date.now() };
    this.recorder.frames.push(frame);
    this.recorder.emit("gateway-frame", frame);
  }

  /** Closes once every queued frame is out, as Discord closes after its last message. */
  close(code: number, reason: string): void {
    this.closingByServer = true;
    this.queue = this.queue.then(() => {
      if (this.open) this.ws.close(code, reason);
    });
  }

  /** Cuts the TCP connection without a close frame, as a network failure would. */
  terminate(): void {
    this.closingByServer = true;
    this.ws.terminate();
  }

  dispose(): void {
    this.deflate?.destroy();
  }

  private encode(text: string, isDispatch: boolean): Promise<string | Buffer> {
    const { deflate } = this;
    if (deflate) return flushThrough(deflate, text);
    if (this.identifyCompress && isDispatch) return Promise.resolve(deflateSync(text));
    return Promise.resolve(text);
  }
}

/** Writes `text` into the shared deflate context and collects what a sync flush pushes out. */
function flushThrough(deflate: Deflate, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onError = (error: Error) => {
      deflate.off("data", onData);
      reject(error);
    };
    deflate.on("data", onData);
    deflate.once("error", onError);
    deflate.write(text);
    deflate.flush(constants.Z_SYNC_FLUSH, () => {
      deflate.off("data", onData);
      deflate.off("error", onError);
      resolve(Buffer.concat(chunks));
    });
  });
}
