/**
 * What a sandbox can make the bot write to its log: bounded, whatever arrives on the channel.
 */
import { Duplex, Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { SupervisorClient } from "../../src/sandbox/supervisor-client.ts";

/** One frame of Docker's multiplexed attach stream: 1 = stdout, 2 = stderr. */
function frame(kind: 1 | 2, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function harness() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const client = new SupervisorClient(stream, logger);
  return { client, stream, lines };
}

describe("SupervisorClient", () => {
  it("logs a flood of messages no request waits for once, then once with their count", async () => {
    const { client, stream, lines } = harness();
    const flood = '{"type":"failure","id":null,"message":"request is not JSON"}\n'.repeat(10_000);
    stream.push(frame(1, flood));
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.broken).toBeNull();
    client.close();
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ count: 10_000 });
  });

  it("breaks the channel once on a malformed line and logs nothing for what follows", async () => {
    const { client, stream, lines } = harness();
    const reasons: string[] = [];
    client.on("broken", (reason) => reasons.push(reason));
    stream.push(frame(1, "not json\n".repeat(5_000)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(reasons).toEqual(["the sandbox sent a malformed message: message is not JSON"]);
    expect(lines).toHaveLength(0);
  });

  it("puts at most 64 KiB of a sandbox's stderr into the log", async () => {
    const { stream, lines } = harness();
    for (let i = 0; i < 200; i += 1) stream.push(frame(2, "x".repeat(4096)));
    await new Promise((resolve) => setImmediate(resolve));
    const logged = lines
      .filter((line) => line.msg === "sandbox stderr")
      .reduce((total, line) => total + String(line.stderr).length, 0);
    expect(logged).toBe(64 * 1024);
    expect(lines.filter((line) => line.level === 40)).toHaveLength(1);
  });
});
