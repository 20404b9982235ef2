import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import type { ReplySurface } from "../../src/present/surface.ts";
import { fakeSurface, present, run } from "../helpers/presenter-fixtures.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("ReplyPresenter while a run waits for a sandbox", () => {
  const queued = (ahead: number): ReplyEvent => ({
    type: "sandbox-stage",
    stage: { stage: "queued", ahead },
  });
  const stage = (name: "starting" | "restoring" | "running"): ReplyEvent => ({
    type: "sandbox-stage",
    stage: { stage: name },
  });
  const clockedPresenter = (surface: ReplySurface, progressIntervalMs = 0) => {
    const clock = { ms: 0 };
    const presenter = new ReplyPresenter(surface, {
      progressIntervalMs,
      logger: silentLogger(),
      now: () => clock.ms,
    });
    return { presenter, clock };
  };

  it("posts one queue line, edits it as the queue moves (throttled, latest number last), then says how long it waited", async () => {
    vi.useFakeTimers();
    const { surface, calls } = fakeSurface({ status: true });
    const presenter = new ReplyPresenter(surface, {
      progressIntervalMs: 1_000,
      logger: silentLogger(),
      now: () => Date.now(),
    });
    const say = (event: ReplyEvent) => presenter.sink(event);
    await say({ type: "status", status: "working" });
    await say({ type: "code", code: "print(2)" });
    await say({ type: "status", status: "running-code" });
    await say(queued(3));
    await vi.advanceTimersByTimeAsync(1_500);
    await say(queued(2));
    await vi.advanceTimersByTimeAsync(200);
    await say(queued(1));
    await say(queued(0));
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(10_300);
    await say(stage("starting"));
    await say(stage("restoring"));
    await say(stage("running"));
    await say({ type: "status", status: "working" });
    await say({ type: "code-result", run: run({ stdout: "2\n" }) });
    await say({ type: "status", status: "done" });
    await presenter.flushed();
    expect(calls).toEqual([
      { kind: "status", status: "working" },
      { kind: "post", ref: "m1", text: "[code] Running:\n```\nprint(2)\n```" },
      { kind: "status", status: "queued" },
      {
        kind: "post",
        ref: "m2",
        text: "[wait] Queued: 3 requests ahead of this one. It starts when a sandbox is free.",
      },
      {
        kind: "edit",
        ref: "m2",
        text: "[wait] Queued: 2 requests ahead of this one. It starts when a sandbox is free.",
      },
      { kind: "edit", ref: "m2", text: "[wait] Queued: next in line. It starts when a sandbox is free." },
      { kind: "edit", ref: "m2", text: "[wait] Waited 13 s in the queue." },
      { kind: "status", status: "working" },
      {
        kind: "edit",
        ref: "m1",
        text: "[code] Running:\n```\nprint(2)\n```\n[ok] Ran in 1.20 s.\n```\n2\n```",
      },
      { kind: "status", status: "done" },
    ]);
  });

  it("says one request ahead in the singular, and a wait under a second as such", async () => {
    const { surface, calls } = fakeSurface();
    await present(surface, [queued(1), stage("running")]);
    expect(calls).toEqual([
      {
        kind: "post",
        ref: "m1",
        text: "[wait] Queued: 1 request ahead of this one. It starts when a sandbox is free.",
      },
      { kind: "edit", ref: "m1", text: "[wait] Waited less than 1 s in the queue." },
    ]);
  });

  it("counts a long wait in minutes and posts a new line for each wait of the reply", async () => {
    const { surface, calls } = fakeSurface();
    const { presenter, clock } = clockedPresenter(surface);
    await presenter.sink(queued(4));
    clock.ms = 125_000;
    await presenter.sink(stage("running"));
    await presenter.sink(queued(0));
    clock.ms = 185_000;
    await presenter.sink(stage("running"));
    await presenter.flushed();
    expect(calls.filter((call) => call.kind === "edit").map((call) => call.text)).toEqual([
      "[wait] Waited 2 min 5 s in the queue.",
      "[wait] Waited 1 min in the queue.",
    ]);
    expect(calls.filter((call) => call.kind === "post")).toHaveLength(2);
  });

  it("does not leave the line saying it waits when the request is cancelled in the queue", async () => {
    const { surface, calls } = fakeSurface({ status: true });
    const { presenter, clock } = clockedPresenter(surface);
    const events: ReplyEvent[] = [
      { type: "status", status: "working" },
      { type: "code", code: "print(2)" },
      { type: "status", status: "running-code" },
      queued(2),
    ];
    for (const event of events) await presenter.sink(event);
    clock.ms = 4_000;
    // What the agent sends when the sandbox answers a cancelled run that never left the queue.
    await presenter.sink({ type: "status", status: "working" });
    await presenter.sink({ type: "code-result", run: run({ status: "cancelled" }) });
    await presenter.sink({ type: "notice", text: "The request was cancelled." });
    await presenter.sink({ type: "status", status: "done" });
    await presenter.flushed();
    expect(calls.filter((call) => call.kind !== "status")).toEqual([
      { kind: "post", ref: "m1", text: "[code] Running:\n```\nprint(2)\n```" },
      {
        kind: "post",
        ref: "m2",
        text: "[wait] Queued: 2 requests ahead of this one. It starts when a sandbox is free.",
      },
      { kind: "edit", ref: "m2", text: "[wait] Cancelled while queued, after 4 s." },
      { kind: "edit", ref: "m1", text: "[code] Running:\n```\nprint(2)\n```\n[cancelled] Cancelled." },
      { kind: "post", ref: "m3", text: "[i] The request was cancelled." },
    ]);
    expect(calls.filter((call) => call.kind === "status").map((call) => call.status)).toEqual([
      "working",
      "queued",
      "working",
      "done",
    ]);
  });

  it("says the wait was cut short when the request fails or ends in the queue", async () => {
    const cancelled = fakeSurface();
    await present(cancelled.surface, [
      queued(0),
      { type: "error", code: "cancelled", text: "The request was cancelled." },
      { type: "status", status: "failed" },
    ]);
    expect(cancelled.calls.slice(1)).toEqual([
      { kind: "edit", ref: "m1", text: "[wait] Cancelled while queued, after less than 1 s." },
      { kind: "post", ref: "m2", text: "[!] The request was cancelled." },
    ]);
    const ended = fakeSurface();
    await present(ended.surface, [queued(0), { type: "status", status: "done" }]);
    expect(ended.calls.slice(1)).toEqual([
      { kind: "edit", ref: "m1", text: "[wait] Stopped while queued, after less than 1 s." },
    ]);
  });

  it("without edits, posts the queue line once and nothing more about the wait", async () => {
    const { surface, calls } = fakeSurface({ edit: false });
    await present(surface, [
      { type: "status", status: "working" },
      queued(3),
      queued(2),
      queued(0),
      stage("starting"),
      stage("running"),
      { type: "status", status: "done" },
    ]);
    expect(calls).toEqual([
      {
        kind: "post",
        ref: "m1",
        text: "[wait] Queued: 3 requests ahead of this one. It starts when a sandbox is free.",
      },
    ]);
  });

  it("without status marks, lets the queue line say the run waits", async () => {
    const { surface, calls } = fakeSurface();
    await present(surface, [{ type: "status", status: "working" }, queued(0), stage("running")]);
    expect(calls).toEqual([
      { kind: "post", ref: "m1", text: "[wait] Queued: next in line. It starts when a sandbox is free." },
      { kind: "edit", ref: "m1", text: "[wait] Waited less than 1 s in the queue." },
    ]);
  });

  it("stops typing while the run waits and types again once a sandbox is being started", async () => {
    vi.useFakeTimers();
    const { surface, calls } = fakeSurface({ typing: true });
    const presenter = new ReplyPresenter(surface, {
      progressIntervalMs: 0,
      typingIntervalMs: 1_000,
      logger: silentLogger(),
    });
    const typed = () => calls.filter((call) => call.kind === "typing").length;
    await presenter.sink({ type: "status", status: "running-code" });
    await presenter.sink(queued(1));
    const whenQueued = typed();
    await vi.advanceTimersByTimeAsync(5_500);
    expect(typed()).toBe(whenQueued);
    await presenter.sink(stage("starting"));
    await vi.advanceTimersByTimeAsync(2_500);
    expect(typed()).toBe(whenQueued + 3);
    await presenter.sink({ type: "status", status: "done" });
    await presenter.flushed();
  });

  it("still marks the reply done when the queue line cannot be edited", async () => {
    const { surface, calls } = fakeSurface({ status: true });
    surface.edit = async () => {
      throw new Error("message_not_found");
    };
    await present(surface, [queued(0), { type: "status", status: "done" }]);
    expect(calls.filter((call) => call.kind === "status").map((call) => call.status)).toEqual([
      "queued",
      "done",
    ]);
  });
});
