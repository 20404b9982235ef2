import { describe, expect, it } from "vitest";
import { DockerStreamDemuxer } from "../../src/sandbox/docker-stream-demuxer.ts";

function frame(kind: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("DockerStreamDemuxer", () => {
  it("routes stdout and stderr frames, even when a frame arrives byte by byte", () => {
    const seen: string[] = [];
    const demuxer = new DockerStreamDemuxer((stream, payload) => seen.push(`${stream}:${payload}`));
    const bytes = Buffer.concat([frame(1, "hello"), frame(2, "oops"), frame(1, "")]);
    for (const byte of bytes) demuxer.push(Buffer.from([byte]));
    expect(seen).toEqual(["stdout:hello", "stderr:oops", "stdout:"]);
  });

  it("rejects an unknown stream type", () => {
    const demuxer = new DockerStreamDemuxer(() => undefined);
    expect(() => demuxer.push(frame(7, "x"))).toThrow(/unknown Docker stream type 7/);
  });
});
