/**
 * A pod attach connection as the byte stream the supervisor client already reads: Docker's.
 *
 * Kubernetes multiplexes attach over one WebSocket (channel protocol v4.channel.k8s.io, and v5
 * which adds a close signal): every binary message is one channel byte, then the payload.
 * Channel 0 is stdin, 1 stdout, 2 stderr, 3 the final status (a metav1.Status as JSON), 4 terminal
 * resizes, and 255 (v5 only) says that the channel in the next byte is closed. The readable side
 * re-frames stdout and stderr as Docker's attach stream does (an 8-byte header: the stream type,
 * three zero bytes, the payload's length as a big-endian uint32; then the payload), so that
 * SupervisorClient and its DockerStreamDemuxer work unchanged; the writable side is stdin.
 *
 * The peer is the API server, but what arrives is the sandbox's output: a channel we do not know
 * ends the stream rather than being guessed at.
 */
import { Duplex } from "node:stream";
import type { Logger } from "../../logger.ts";

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const OPEN = 1;
const V5 = "v5.channel.k8s.io";
const HEADER_BYTES = 8;

/** What the stream needs of the WebSocket (the `ws` package's client has it). */
export interface ChannelSocket {
  readonly protocol: string;
  readonly readyState: number;
  send(data: Buffer, callback: (error?: Error) => void): void;
  close(): void;
}

/** The status the API server sent on channel 3 as the attach ended, when it sent one. */
export interface AttachStatus {
  status: string;
  message?: string;
  reason?: string;
}

export class KubeAttachStream extends Duplex {
  private socket: ChannelSocket | null = null;
  private ended = false;
  private finalStatus: AttachStatus | null = null;

  constructor(private readonly logger: Logger) {
    super();
  }

  /** Null until the attach ends with a status on channel 3. */
  get status(): AttachStatus | null {
    return this.finalStatus;
  }

  /** The open connection: stdin goes to it from now on. */
  bind(socket: ChannelSocket): void {
    this.socket = socket;
  }

  /** One binary message, already split into its channel and payload. */
  receive(channel: number, payload: Buffer): void {
    if (this.ended || this.destroyed) return;
    if (channel === STDOUT || channel === STDERR) {
      // The API server opens with an empty stdout message to say the connection is up.
      if (payload.length > 0) this.push(dockerFrame(channel, payload));
      return;
    }
    if (channel === STATUS) {
      this.finalStatus = parseStatus(payload);
      if (this.finalStatus.status !== "Success") {
        this.logger.warn({ status: this.finalStatus }, "the sandbox pod's attach ended with an error");
      }
      this.finish();
      return;
    }
    if (channel === CLOSE) {
      // v5: nothing more comes on that channel. Our reader only needs stdout.
      if (payload[0] === STDOUT) this.finish();
      return;
    }
    this.destroy(new Error(`the attach connection sent an unknown channel ${channel}`));
  }

  /** The WebSocket closed: nothing more comes. */
  socketClosed(): void {
    this.finish();
  }

  override _read(): void {
    // Output is pushed as it arrives; SupervisorClient reads in flowing mode and keeps up.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) {
      callback(new Error("the attach connection to the sandbox pod is closed"));
      return;
    }
    const message = Buffer.allocUnsafe(chunk.length + 1);
    message[0] = STDIN;
    chunk.copy(message, 1);
    socket.send(message, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    const socket = this.socket;
    if (socket?.readyState === OPEN && socket.protocol === V5) {
      // v5 can close stdin alone; v4 knows only closing the whole connection.
      socket.send(Buffer.from([CLOSE, STDIN]), (error) => callback(error ?? null));
      return;
    }
    socket?.close();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.ended = true;
    this.socket?.close();
    callback(error);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }
}

/** One frame of Docker's multiplexed stream: type 1 stdout or 2 stderr, as the API's channels. */
export function dockerFrame(kind: 1 | 2, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(kind << 24, 0);
  frame.writeUInt32BE(payload.length, 4);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

function parseStatus(payload: Buffer): AttachStatus {
  try {
    const value: unknown = JSON.parse(payload.toString("utf8"));
    if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      const status: AttachStatus = { status: typeof record.status === "string" ? record.status : "Unknown" };
      if (typeof record.message === "string") status.message = record.message.slice(0, 1000);
      if (typeof record.reason === "string") status.reason = record.reason.slice(0, 200);
      return status;
    }
  } catch {
    // Reported below as what it is.
  }
  return { status: "Unknown", message: "the attach ended with an unreadable status" };
}
