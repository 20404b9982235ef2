/**
 * The Socket Mode side of the fake: WebSocket URLs handed out by `apps.connections.open`,
 * the `hello` greeting, envelopes waiting for the client's `{ envelope_id, payload }` ack,
 * and the `disconnect` message that makes the SDK fetch a new URL and reconnect.
 */

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { HeldConnections } from "../held-connections.ts";
import {
  type AppIdentity,
  disconnectMessage,
  type EnvelopeType,
  envelope,
  helloMessage,
} from "./payloads.ts";
import type { EnvelopeResult } from "./types.ts";
import { isRecord, parseJsonOr } from "./wire.ts";

/** Slack retries an envelope that is not acknowledged within 3 seconds. */
export const ACK_DEADLINE_MS = 3_000;
const CLOSE_GRACE_MS = 1_000;
const SOCKET_PATH = /^\/socket-mode\/(\d+)$/;

interface Waiter {
  count: number;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface PendingAck {
  settle(result: EnvelopeResult): void;
  timer: NodeJS.Timeout;
}

export class SocketModeServer {
  // `autoPong` (the default) answers the SDK's pings, whose missing pongs it treats as a dead link.
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly open: WebSocket[] = [];
  private readonly issued = new Set<string>();
  private readonly waiters: Waiter[] = [];
  private readonly pendingAcks = new Map<string, PendingAck>();
  private urlCount = 0;
  private accepted = 0;
  /** A network outage a test can start and end. */
  private readonly outage = new HeldConnections();

  constructor(
    private readonly wsOrigin: string,
    private readonly app: AppIdentity,
  ) {}

  /** The answer of `apps.connections.open`; each call gets its own URL, as in Slack. */
  issueUrl(): string {
    this.urlCount += 1;
    this.issued.add(String(this.urlCount));
    return `${this.wsOrigin}/socket-mode/${this.urlCount}?ticket=fake-ticket-${this.urlCount}&app_id=${this.app.appId}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const number = SOCKET_PATH.exec(path)?.[1];
    if (number === undefined || !this.issued.has(number)) {
      socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const upgrade = () => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    this.outage.admit(upgrade);
  }

  /** New connections wait, unanswered, until `releaseConnections`. */
  holdConnections(): void {
    this.outage.hold();
  }

  releaseConnections(): void {
    this.outage.release();
  }

  connectionsAccepted(): number {
    return this.accepted;
  }

  openCount(): number {
    return this.open.length;
  }

  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.accepted >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `fake Slack: ${this.accepted} Socket Mode connection(s) after ${timeoutMs} ms, wanted ${count}`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends on the newest open connection, as Slack sends each envelope on one of them. */
  send(
    type: EnvelopeType,
    payload: object,
    retry?: { attempt: number; reason: string },
    connection?: number,
  ): Promise<EnvelopeResult> {
    const ws = connection === undefined ? this.open.at(-1) : this.open[connection];
    if (!ws) {
      throw new Error(
        `fake Slack: no open Socket Mode connection${connection === undefined ? "" : ` number ${connection}`}; ` +
          "await waitForSocket() first",
      );
    }
    const message = envelope(type, payload, retry);
    const envelopeId = message.envelope_id;
    return new Promise((resolve) => {
      const settle = (result: EnvelopeResult) => {
        const pending = this.pendingAcks.get(envelopeId);
        if (!pending) return;
        clearTimeout(pending.timer);
        this.pendingAcks.delete(envelopeId);
        resolve(result);
      };
      const timer = setTimeout(() => settle({ acked: false, envelopeId }), ACK_DEADLINE_MS);
      this.pendingAcks.set(envelopeId, { settle, timer });
      ws.send(JSON.stringify(message));
    });
  }

  async disconnect(reason: string): Promise<void> {
    const text = JSON.stringify(disconnectMessage(reason));
    await Promise.all(this.open.map((ws) => new Promise<void>((resolve) => ws.send(text, () => resolve()))));
  }

  dropAll(): void {
    for (const ws of [...this.open]) ws.terminate();
  }

  /**
   * Closes each connection with a close frame and waits (briefly) for the handshake: cutting a
   * socket the SDK is still closing makes it log a WebSocket error after the test has ended.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.open.map(
        (ws) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
            ws.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1001, "fake Slack closing");
          }),
      ),
    );
    this.wss.close();
    for (const [envelopeId, pending] of [...this.pendingAcks]) pending.settle({ acked: false, envelopeId });
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error("fake Slack: closed"));
    }
  }

  private accept(ws: WebSocket): void {
    this.open.push(ws);
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      const index = this.open.indexOf(ws);
      if (index >= 0) this.open.splice(index, 1);
    });
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.onClientMessage(data.toString());
    });
    ws.send(JSON.stringify(helloMessage(this.app, this.open.length)), () => {
      this.accepted += 1;
      for (const waiter of this.waiters.filter((w) => w.count <= this.accepted)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    });
  }

  /** The SDK acks with `{ envelope_id, payload }`, where `payload` is `{}` for a bare `ack()`. */
  private onClientMessage(text: string): void {
    const message = parseJsonOr(text, undefined);
    if (!isRecord(message) || typeof message.envelope_id !== "string") return;
    const pending = this.pendingAcks.get(message.envelope_id);
    if (!pending) return;
    const result: EnvelopeResult = { acked: true, envelopeId: message.envelope_id };
    if ("payload" in message) result.responsePayload = message.payload;
    pending.settle(result);
  }
}
