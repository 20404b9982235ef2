import { describe, expect, it } from "vitest";
import { ProtocolError, parseSupervisorMessage } from "../../src/sandbox/supervisor-protocol.ts";

describe("parseSupervisorMessage", () => {
  it("parses a result with files, error and truncation", () => {
    const message = parseSupervisorMessage(
      JSON.stringify({
        type: "result",
        id: "r1",
        status: "error",
        duration_ms: 12.5,
        files: [{ path: "out.csv", size: 10, mime: "text/csv", mtime_ms: 5 }],
        more_files: 0,
        error: { name: "ZeroDivisionError", value: "division by zero", traceback: "Traceback…" },
        truncated: { stdout: 3, stderr: 0 },
        dropped: [],
      }),
    );
    expect(message).toMatchObject({
      type: "result",
      status: "error",
      files: [{ path: "out.csv", size: 10, mime: "text/csv", mtimeMs: 5 }],
      error: { name: "ZeroDivisionError" },
      truncated: { stdout: 3, stderr: 0 },
      restarted: false,
    });
  });

  it.each([
    ["not JSON", "hello"],
    ["an array", "[1,2]"],
    ["an unknown type", '{"type":"shell","cmd":"rm -rf /"}'],
    ["an unknown status", '{"type":"result","id":"x","status":"great","duration_ms":1}'],
    ["display data that is not text", '{"type":"display","id":"x","data":{"image/png":5}}'],
    ["a stream with a bad name", '{"type":"stream","id":"x","name":"stdin","text":"a"}'],
  ])("rejects %s", (_label, line) => {
    expect(() => parseSupervisorMessage(line)).toThrow(ProtocolError);
  });
});
