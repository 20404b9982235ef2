import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import { fakeSurface, present, run } from "../helpers/presenter-fixtures.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("ReplyPresenter", () => {
  it("grows one progress message and turns it into the answer", async () => {
    const { surface, calls } = fakeSurface();
    await present(surface, [
      { type: "text-delta", text: "The mean " },
      { type: "text-delta", text: "is 4.2" },
      { type: "text", text: "The mean is 4.2." },
    ]);
    expect(calls).toEqual([
      { kind: "post", ref: "m1", text: "The mean  …" },
      { kind: "edit", ref: "m1", text: "The mean is 4.2 …" },
      { kind: "edit", ref: "m1", text: "The mean is 4.2." },
    ]);
  });

  it("without edits, posts the answer once, whole, in parts that lose nothing", async () => {
    const { surface, calls } = fakeSurface({ edit: false });
    const answer = "x".repeat(250);
    await present(surface, [
      { type: "text-delta", text: answer.slice(0, 100) },
      { type: "text-delta", text: answer.slice(100) },
      { type: "text", text: answer },
    ]);
    expect(calls.every((call) => call.kind === "post")).toBe(true);
    expect(calls.map((call) => (call.kind === "post" ? call.text : "")).join("")).toBe(answer);
    expect(calls).toHaveLength(3);
  });

  it("puts the code and its result in one message when they fit", async () => {
    const { surface, calls } = fakeSurface();
    await present(surface, [
      { type: "code", code: "print(2)" },
      { type: "code-result", run: run({ stdout: "2\n" }) },
    ]);
    expect(calls).toEqual([
      { kind: "post", ref: "m1", text: "[code] Running:\n```\nprint(2)\n```" },
      {
        kind: "edit",
        ref: "m1",
        text: "[code] Running:\n```\nprint(2)\n```\n[ok] Ran in 1.20 s.\n```\n2\n```",
      },
    ]);
  });

  it("without edits, posts the result as its own message", async () => {
    const { surface, calls } = fakeSurface({ edit: false });
    await present(surface, [
      { type: "code", code: "1/0" },
      {
        type: "code-result",
        run: run({
          status: "error",
          error: { name: "ZeroDivisionError", value: "division by zero", traceback: "" },
        }),
      },
    ]);
    expect(calls.map((call) => call.kind)).toEqual(["post", "post"]);
    expect(calls[1]).toMatchObject({
      text: "[error] ZeroDivisionError after 1.20 s.\n```\nZeroDivisionError: division by zero\n```",
    });
  });

  it("attaches code and output that are too long to show", async () => {
    const { surface, calls } = fakeSurface();
    const code = `print(${"1".repeat(80)})`;
    const output = "y".repeat(80);
    await present(surface, [
      { type: "code", code },
      { type: "code-result", run: run({ stdout: output }) },
    ]);
    expect(calls).toEqual([
      {
        kind: "upload",
        name: "code-1.py",
        data: code,
        comment: "[code] The code is long, so it is attached:",
      },
      {
        kind: "upload",
        name: "output-2.txt",
        data: output,
        comment: "[ok] Ran in 1.20 s. The output is long, so it is attached:",
      },
    ]);
  });

  it("names a file too large for the chat instead of sending it", async () => {
    const { surface, calls } = fakeSurface();
    await present(surface, [
      { type: "file", name: "big.csv", data: Buffer.alloc(2_000), mime: "text/csv" },
      { type: "file", name: "small.csv", data: Buffer.from("a,b"), mime: "text/csv" },
    ]);
    expect(calls).toEqual([
      {
        kind: "post",
        ref: "m1",
        text: "[!] big.csv is 2.0 KB, over the 1000 bytes this chat accepts, so it was not attached.",
      },
      { kind: "upload", name: "small.csv", data: "a,b", comment: undefined },
    ]);
  });

  it("shows each status once on the user's message", async () => {
    const { surface, calls } = fakeSurface({ status: true });
    await present(surface, [
      { type: "status", status: "queued" },
      { type: "status", status: "working" },
      { type: "status", status: "running-code" },
      { type: "status", status: "working" },
      { type: "status", status: "done" },
    ]);
    expect(calls).toEqual([
      { kind: "status", status: "queued" },
      { kind: "status", status: "working" },
      { kind: "status", status: "done" },
    ]);
  });

  it("without status marks, says in a line when a request has to wait", async () => {
    const { surface, calls } = fakeSurface();
    await present(surface, [
      { type: "status", status: "queued" },
      { type: "status", status: "working" },
      { type: "status", status: "done" },
    ]);
    expect(calls).toEqual([
      { kind: "post", ref: "m1", text: "[wait] Waiting for the request before this one to finish." },
    ]);
  });

  it("repeats typing while the bot works and stops when the reply ends", async () => {
    vi.useFakeTimers();
    const { surface, calls } = fakeSurface({ typing: true });
    const presenter = new ReplyPresenter(surface, {
      progressIntervalMs: 0,
      typingIntervalMs: 1_000,
      logger: silentLogger(),
    });
    await presenter.sink({ type: "status", status: "working" });
    await vi.advanceTimersByTimeAsync(3_500);
    await presenter.sink({ type: "status", status: "done" });
    await vi.advanceTimersByTimeAsync(5_000);
    await presenter.flushed();
    expect(calls.filter((call) => call.kind === "typing")).toHaveLength(4);
  });

  it("keeps going after a failed platform call", async () => {
    const { surface, calls } = fakeSurface();
    let failures = 1;
    const post = surface.post.bind(surface);
    surface.post = async (text) => {
      if (failures-- > 0) throw new Error("channel_not_found");
      return post(text);
    };
    await present(surface, [
      { type: "notice", text: "first" },
      { type: "notice", text: "second" },
    ]);
    expect(calls).toEqual([{ kind: "post", ref: "m1", text: "[i] second" }]);
  });
});
