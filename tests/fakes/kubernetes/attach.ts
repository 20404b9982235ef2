/**
 * The attach subresource as the API server serves it over WebSocket: channel protocol
 * v4.channel.k8s.io, where each binary message is one channel byte and its payload (0 stdin,
 * 1 stdout, 2 stderr, 3 the final Status). It bridges to Docker's multiplexed attach stream of the
 * pod's container. Like Kubernetes, it opens with an empty message on the lowest output channel,
 * and ends with a Status on channel 3 when the container's output ends.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { DockerStreamDemuxer } from "../../../src/sandbox/docker-stream-demuxer.ts";
import type { ApiStatus } from "./api-status.ts";

export const CHANNEL_PROTOCOL = "v4.channel.k8s.io";
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Upgrades only clients that offer v4.channel.k8s.io (the real server knows older ones too). */
export function createAttachServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(CHANNEL_PROTOCOL) ? CHANNEL_PROTOCOL : false),
  });
}

export function offersChannelProtocol(request: IncomingMessage): boolean {
  const offered = String(request.headers["sec-websocket-protocol"] ?? "").split(",");
  return offered.some((protocol) => protocol.trim() === CHANNEL_PROTOCOL);
}

/** Relays between the WebSocket and the container until either side ends. */
export function bridgeAttach(socket: WebSocket, container: Duplex, streams: AttachStreams): void {
  let finished = false;
  const send = (channel: number, payload: Buffer) => {
    if (socket.readyState === socket.OPEN) socket.send(Buffer.concat([Buffer.from([channel]), payload]));
  };
  const finish = (status: Record<string, unknown>) => {
    if (finished) return;
    finished = true;
    send(STATUS, Buffer.from(JSON.stringify(status)));
    socket.close(1000);
  };
  send(streams.stdout ? STDOUT : streams.stderr ? STDERR : STATUS, Buffer.alloc(0));
  const demuxer = new DockerStreamDemuxer((kind, payload) => {
    if (kind === "stdout" && streams.stdout) send(STDOUT, payload);
    if (kind === "stderr" && streams.stderr) send(STDERR, payload);
  });
  container.on("data", (chunk: Buffer) => demuxer.push(chunk));
  container.on("end", () => finish({ metadata: {}, status: "Success" }));
  container.on("close", () => finish({ metadata: {}, status: "Success" }));
  container.on("error", (error: Error) =>
    finish({ metadata: {}, status: "Failure", message: error.message, reason: "InternalError", code: 500 }),
  );
  socket.on("message", (data: RawData) => {
    const message = toBuffer(data);
    // Channel 4 (terminal size) means nothing without a TTY; anything else is dropped too.
    if (message[0] === STDIN && streams.stdin) container.write(message.subarray(1));
  });
  // The client leaving detaches; the container and its open stdin stay (stdinOnce: false).
  socket.on("close", () => {
    finished = true;
    container.destroy();
  });
}

/** An error answer on a connection that was not upgraded. */
export function refuseUpgrade(connection: Duplex, status: ApiStatus): void {
  const body = JSON.stringify(status);
  connection.end(
    `HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
