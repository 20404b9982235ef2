import { describe, expect, it } from "vitest";
import { LineSplitter, LineTooLongError } from "../../src/sandbox/line-splitter.ts";

describe("LineSplitter", () => {
  it("joins lines split across chunks and keeps the remainder", () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push(Buffer.from('{"a":')).map(String)).toEqual([]);
    expect(splitter.push(Buffer.from('1}\n{"b":2}\n{"c"')).map(String)).toEqual(['{"a":1}', '{"b":2}']);
    expect(splitter.push(Buffer.from(":3}\n")).map(String)).toEqual(['{"c":3}']);
  });

  it("refuses a line longer than the limit instead of buffering it", () => {
    const splitter = new LineSplitter(10);
    splitter.push(Buffer.from("12345"));
    expect(() => splitter.push(Buffer.from("678901"))).toThrow(LineTooLongError);
  });
});
