/**
 * The attach connection as SupervisorClient reads it: Kubernetes channel messages in, Docker's
 * multiplexed frames out; stdin out as channel 0. Driven by hand, as the WebSocket would.
 */
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { DockerStreamDemuxer } from "../../src/sandbox/docker-stream-demuxer.ts";
import { type ChannelSocket, KubeAttachStream } from "../../src/sandbox/kubernetes/attach-stream.ts";
import { SupervisorClient } from "../../src/sandbox/supervisor-client.ts";
import { waitUntil } from "../helpers/wait-until.ts";

class RecordingSocket implements ChannelSocket {
  readonly sent: Buffer[] = [];
  readyState = 1;
  closed = false;
  constructor(readonly protocol = "v4.channel.k8s.io") {}
  send(data: Buffer, callback: (error?: Error) => void): void {
    this.sent.push(Buffer.from(data));
    callback();
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
}

function attached(protocol?: string) {
  const socket = new RecordingSocket(protocol);
  const stream = new KubeAttachStream(silentLogger());
  stream.bind(socket);
  const out: Array<[string, string]> = [];
  const demuxer = new DockerStreamDemuxer((kind, payload) => out.push([kind, payload.toString()]));
  stream.on("data", (chunk: Buffer) => demuxer.push(chunk));
  return { socket, stream, out };
}

describe("KubeAttachStream", () => {
  it("re-frames stdout and stderr as Docker's attach stream, skipping the empty opening message", async () => {
    const { stream, out } = attached();
    stream.receive(1, Buffer.alloc(0));
    stream.receive(1, Buffer.from("hello "));
    stream.receive(2, Buffer.from("warning"));
    stream.receive(1, Buffer.from("world\n"));
    await waitUntil("three frames to be read", () => out.length === 3, 5_000);
    expect(out).toEqual([
      ["stdout", "hello "],
      ["stderr", "warning"],
      ["stdout", "world\n"],
    ]);
  });

  it("sends what is written as stdin on channel 0, byte for byte", async () => {
    const { socket, stream } = attached();
    const bytes = Buffer.from([0x7b, 0x00, 0xff, 0x0a]);
    await new Promise<void>((resolve, reject) =>
      stream.write(bytes, (error) => (error ? reject(error) : resolve())),
    );
    expect(socket.sent).toEqual([Buffer.concat([Buffer.from([0]), bytes])]);
  });

  it("ends the readable side with the status on channel 3 and keeps it", async () => {
    const { stream } = attached();
    const ended = once(stream, "end");
    stream.receive(
      3,
      Buffer.from(
        JSON.stringify({
          metadata: {},
          status: "Failure",
          message: "container exited",
          reason: "InternalError",
        }),
      ),
    );
    stream.resume();
    await ended;
    expect(stream.status).toEqual({
      status: "Failure",
      message: "container exited",
      reason: "InternalError",
    });
  });

  it("ends the readable side when the connection closes", async () => {
    const { stream } = attached();
    const ended = once(stream, "end");
    stream.socketClosed();
    await ended;
    expect(stream.status).toBeNull();
  });

  it("fails on a channel it does not know rather than guess", async () => {
    const { stream } = attached();
    const failed = once(stream, "error");
    stream.receive(7, Buffer.from("?"));
    const [error] = await failed;
    expect((error as Error).message).toContain("unknown channel 7");
  });

  it("closes stdin alone under v5 and the whole connection under v4, as client-node does", async () => {
    const v5 = attached("v5.channel.k8s.io");
    v5.stream.end();
    await once(v5.stream, "finish");
    expect(v5.socket.sent.at(-1)).toEqual(Buffer.from([255, 0]));
    expect(v5.socket.closed).toBe(false);
    const v4 = attached();
    v4.stream.end();
    await once(v4.stream, "finish");
    expect(v4.socket.closed).toBe(true);
  });

  it("refuses to write once the connection is closed", async () => {
    const { socket, stream } = attached();
    socket.close();
    const failed = once(stream, "error");
    stream.write("late");
    const [error] = await failed;
    expect((error as Error).message).toContain("closed");
  });

  it("carries the supervisor protocol for SupervisorClient, unchanged", async () => {
    const { socket, stream } = attached();
    const client = new SupervisorClient(stream, silentLogger());
    const pong = client.ping(5_000);
    const request = JSON.parse(socket.sent[0]?.subarray(1).toString() ?? "{}") as {
      id: string;
      type: string;
    };
    expect(request.type).toBe("ping");
    const reply = `${JSON.stringify({ type: "pong", id: request.id, state: "idle", kernel_pid: 7, restarts: 0, execution_id: null })}\n`;
    // Split across messages, as the API server may split output.
    stream.receive(1, Buffer.from(reply.slice(0, 10)));
    stream.receive(1, Buffer.from(reply.slice(10)));
    await expect(pong).resolves.toMatchObject({ type: "pong", state: "idle" });
    stream.receive(3, Buffer.from('{"metadata":{},"status":"Success"}'));
    await expect(client.ping(5_000)).rejects.toThrow("the sandbox container stopped");
  });
});
