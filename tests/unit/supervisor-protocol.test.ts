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

  it("parses what a run used up and skipped, and the limit it ran under", () => {
    const message = parseSupervisorMessage(
      JSON.stringify({
        type: "result",
        id: "r2",
        status: "crashed",
        duration_ms: 3,
        timeout_ms: 20_000,
        data_full: { files_full: true, bytes_full: false, max_files: 4096, max_bytes: 67108864 },
        skipped_files: ["pipe.csv (a named pipe)"],
        protocol_violations: 51,
      }),
    );
    expect(message).toMatchObject({
      timeoutMs: 20_000,
      dataFull: { filesFull: true, bytesFull: false, maxFiles: 4096, maxBytes: 67108864 },
      skippedFiles: ["pipe.csv (a named pipe)"],
      protocolViolations: 51,
    });
  });

  it("parses a table display and the files that stand for it", () => {
    const table = {
      kind: "DataFrame",
      columns: ["", "n"],
      index_columns: 1,
      numeric: [false, true],
      head: [["0", "0"]],
      tail: [],
      rows: 30_000,
      cols: 1,
      csv_missing: "it would be about 40.0 MiB, over the 12 MiB limit",
    };
    const message = parseSupervisorMessage(
      JSON.stringify({
        type: "display",
        id: "d1",
        data: { "text/plain": "   n\n0  0", "application/vnd.cib.table+json": JSON.stringify(table) },
        files: { "text/csv": Buffer.from("n\n0\n").toString("base64") },
        result: true,
      }),
    );
    expect(message).toMatchObject({
      type: "display",
      result: true,
      table: {
        kind: "DataFrame",
        columns: ["", "n"],
        indexColumns: 1,
        numeric: [false, true],
        head: [["0", "0"]],
        tail: [],
        totalRows: 30_000,
        totalColumns: 1,
        csvMissing: "it would be about 40.0 MiB, over the 12 MiB limit",
      },
      files: { "text/csv": Buffer.from("n\n0\n").toString("base64") },
    });
    const plain = parseSupervisorMessage('{"type":"display","id":"d2","data":{"text/plain":"42"}}');
    expect(plain).toMatchObject({ table: null, files: {} });
  });

  const tableWith = (fields: Record<string, unknown>) =>
    JSON.stringify({
      type: "display",
      id: "x",
      data: {
        "application/vnd.cib.table+json": JSON.stringify({
          kind: "DataFrame",
          columns: ["", "a"],
          index_columns: 1,
          numeric: [false, true],
          head: [["0", "1"]],
          tail: [],
          rows: 1,
          cols: 1,
          ...fields,
        }),
      },
    });

  it.each([
    ["a table that is not JSON", '{"type":"display","id":"x","data":{"application/vnd.cib.table+json":"{"}}'],
    ["a table row of the wrong width", tableWith({ head: [["0"]] })],
    ["a table with more rows than the kernel sends", tableWith({ head: Array(21).fill(["0", "1"]) })],
    ["a table with a negative size", tableWith({ rows: -1 })],
    ["a table cell of 41 characters", tableWith({ head: [["0", "x".repeat(41)]] })],
    [
      "a display file of an unknown type",
      '{"type":"display","id":"x","data":{},"files":{"text/x-sh":"ZWNobw=="}}',
    ],
    ["a display file that is not text", '{"type":"display","id":"x","data":{},"files":{"text/csv":1}}'],
  ])("rejects %s", (_label, line) => {
    expect(() => parseSupervisorMessage(line)).toThrow(ProtocolError);
  });

  it.each([
    [
      "skipped files that are not text",
      '{"type":"result","id":"x","status":"ok","duration_ms":1,"skipped_files":[1]}',
    ],
    [
      "a data_full without its limits",
      '{"type":"result","id":"x","status":"ok","duration_ms":1,"data_full":{}}',
    ],
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
