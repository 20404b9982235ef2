/**
 * Usage and limits, end to end through the core: the real `openai` client streaming from the
 * fake OpenAI server (usage chunk included), the scripted sandbox, a real SQLite file, and
 * the CLI report read from that file in-process.
 */
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { AccessGate } from "../../src/access/access-decision.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import type { RequestUsageRecord } from "../../src/store/types.ts";
import { estimateTokens } from "../fakes/openai/chunks.ts";
import type { FakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { renderFigure } from "../fakes/sandbox/fake-sandbox.ts";
import { ofType, pythonCall } from "../helpers/bot-harness.ts";
import { runCliCaptured } from "../helpers/cli.ts";
import { createUsageHarness, type UsageHarness, type UsageHarnessOptions } from "../helpers/usage-harness.ts";

/** 13:28 UTC on a Friday: 10 h 32 min before the daily limits reset. */
const T0 = Date.UTC(2025, 2, 14, 13, 28);
const MIN = 60_000;

const harnesses: UsageHarness[] = [];

async function harness(options: UsageHarnessOptions = {}): Promise<UsageHarness> {
  const h = await createUsageHarness({ now: T0, ...options });
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** The tokens the fake server reported for its answers from request `from` on, worked out again here. */
function fakeTokens(fake: FakeOpenAI, from = 0): { inputTokens: number; outputTokens: number } {
  let inputTokens = 0;
  let outputTokens = 0;
  for (const request of fake.requests.slice(from)) {
    const answer = request.answeredWith;
    if (answer?.kind !== "reply" || answer.usage === false) continue;
    inputTokens += estimateTokens(JSON.stringify(request.messages));
    const calls = (answer.toolCalls ?? []).map((call) => call.name + call.arguments).join("");
    outputTokens += estimateTokens((answer.content ?? "") + calls);
  }
  return { inputTokens, outputTokens };
}

function errors(events: ReplyEvent[]): Array<{ code: string; text: string }> {
  return ofType(events, "error").map(({ code, text }) => ({ code, text }));
}

function lastStatus(events: ReplyEvent[]): string | undefined {
  return ofType(events, "status").at(-1)?.status;
}

const DIRECT = "```python\nprint(1)\n```";

describe("usage recording", () => {
  it("records each request's tokens from the streamed usage, two model calls summed, with its runs and files", async () => {
    const h = await harness();
    const chart = await renderFigure();
    h.sandbox.script("print(6 * 7)", () => ({ stdout: "42\n", images: [chart], durationMs: 1_250 }));
    h.fake.enqueue(
      { kind: "reply", content: "Let me compute that.", toolCalls: [pythonCall("print(6 * 7)")] },
      { kind: "reply", content: "It is **42**." },
    );
    const csv = Buffer.from("a,b\n1,2\n");
    const events = await h.adapter.send({
      text: "what is 6 * 7? plot it too",
      author: "ada",
      thread: "tokens",
      attachments: [{ name: "data.csv", data: csv, mimeType: "text/csv" }],
    });
    expect(lastStatus(events)).toBe("done");
    expect(h.fake.requests.map((request) => request.body.stream_options)).toEqual([
      { include_usage: true },
      { include_usage: true },
    ]);
    const images = ofType(events, "image");
    expect(images).toHaveLength(1);
    const tokens = fakeTokens(h.fake);
    expect(tokens.inputTokens).toBeGreaterThan(0);
    const used = {
      modelCalls: 2,
      ...tokens,
      codeRuns: 1,
      sandboxMs: 1_250,
      filesIn: 1,
      filesInBytes: csv.length,
      filesOut: 1,
      filesOutBytes: images[0]?.data.length,
    };
    expect(await h.store.listRequestUsage({ since: 0 })).toEqual([
      {
        id: expect.any(String),
        platform: "memory",
        userId: "ada",
        userName: "ada",
        conversationKey: "memory:local:general:tokens",
        startedAt: T0,
        finishedAt: T0,
        outcome: "done",
        model: "fake-model",
        ...used,
      },
    ]);
    expect(h.usage).toEqual([{ platform: "memory", outcome: "done", ...used }]);
  });

  it("counts model calls without figures when the server sends no usage, and tells the admin once", async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const modelLogger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const h = await harness({ modelLogger });
    h.fake.enqueue(
      { kind: "reply", content: "Hi.", usage: false },
      { kind: "reply", content: "Hi again.", usage: false },
    );
    await h.adapter.send({ text: "hello?", thread: "no-usage-1" });
    await h.adapter.send({ text: "hello again?", thread: "no-usage-2" });
    const rows = await h.store.listRequestUsage({ since: 0 });
    expect(rows.map((row) => [row.outcome, row.modelCalls, row.inputTokens, row.outputTokens])).toEqual([
      ["done", 1, 0, 0],
      ["done", 1, 0, 0],
    ]);
    expect(lines.filter((line) => line.msg.includes("sent no token usage"))).toHaveLength(1);
  });

  it("completes the row of a failed request and records nothing for a repeated delivery or a command", async () => {
    const h = await harness();
    h.fake.enqueue({ kind: "error", status: 400, message: "bad request" });
    const failed = await h.adapter.send({ text: "break", thread: "failing", deliveryId: "d-1" });
    expect(lastStatus(failed)).toBe("failed");
    await h.adapter.send({ text: "break", thread: "failing", deliveryId: "d-1" });
    await h.adapter.send({ text: "", command: "usage", thread: "failing" });
    const rows = await h.store.listRequestUsage({ since: 0 });
    expect(rows.map((row) => [row.outcome, row.modelCalls])).toEqual([["failed", 0]]);
    expect(h.finished).toEqual(["failed", "duplicate", "done"]);
  });
});

describe("limits", () => {
  it("refuses a person over the hourly request limit with the reset time, while another is served", async () => {
    const h = await harness({ env: { LIMIT_REQUESTS_PER_HOUR: "2" } });
    h.sandbox.script("print(1)", () => ({ stdout: "1\n" }));
    expect(lastStatus(await h.adapter.send({ text: DIRECT, author: "ada", thread: "a1" }))).toBe("done");
    h.clock.now = T0 + 10 * MIN;
    expect(lastStatus(await h.adapter.send({ text: DIRECT, author: "ada", thread: "a2" }))).toBe("done");
    h.clock.now = T0 + 20 * MIN;
    const acquiredBefore = h.acquired.length;
    const refused = await h.adapter.send({ text: DIRECT, author: "ada", thread: "a3" });
    expect(refused).toEqual([
      {
        type: "error",
        code: "over_limit",
        text: "You've reached your limit of 2 requests per hour (2 in the last 60 minutes). You can ask again at 14:28 UTC (in 40 min).",
      },
    ]);
    expect(h.acquired).toHaveLength(acquiredBefore);
    expect(h.finished.at(-1)).toBe("refused");
    expect(lastStatus(await h.adapter.send({ text: DIRECT, author: "bob", thread: "b1" }))).toBe("done");
    // Someone over a limit can still see where they stand.
    const usage = await h.adapter.send({ text: "", command: "usage", author: "ada", thread: "a3" });
    expect(ofType(usage, "text")[0]?.text).toContain(
      "• 2 requests per hour: 2 in the last 60 minutes, none left until 14:28 UTC (in 40 min).",
    );
    // An hour after the first request it has left the window.
    h.clock.now = T0 + 60 * MIN;
    expect(lastStatus(await h.adapter.send({ text: DIRECT, author: "ada", thread: "a4" }))).toBe("done");
    const rows = await h.store.listRequestUsage({ since: 0 });
    expect(rows.map((row) => `${row.userId}@${(row.startedAt - T0) / MIN}`)).toEqual([
      "ada@0",
      "ada@10",
      "bob@20",
      "ada@60",
    ]);
  });

  it("refuses a person over the daily token limit until midnight UTC, while another is served", async () => {
    const h = await harness({ env: { LIMIT_TOKENS_PER_DAY: "10" } });
    h.fake.enqueue({ kind: "reply", content: "Hello there, how can I help today?" });
    expect(lastStatus(await h.adapter.send({ text: "hello?", author: "ada", thread: "a1" }))).toBe("done");
    const { inputTokens, outputTokens } = fakeTokens(h.fake);
    h.clock.now = T0 + 5 * MIN;
    const refused = await h.adapter.send({ text: "and again?", author: "ada", thread: "a1" });
    expect(errors(refused)).toEqual([
      {
        code: "over_limit",
        text: `You've reached your daily limit of 10 model tokens (${inputTokens + outputTokens} used today). It resets at 00:00 UTC (in 10 h 27 min).`,
      },
    ]);
    expect(h.fake.requests).toHaveLength(1);
    h.fake.enqueue({ kind: "reply", content: "Hi Bob." }, { kind: "reply", content: "Good morning." });
    expect(lastStatus(await h.adapter.send({ text: "hi?", author: "bob", thread: "b1" }))).toBe("done");
    h.clock.now = Date.UTC(2025, 2, 15, 0, 0);
    expect(lastStatus(await h.adapter.send({ text: "morning?", author: "ada", thread: "a1" }))).toBe("done");
    expect(h.fake.pending()).toBe(0);
  });

  it("refuses everyone once the team's daily budget is used up", async () => {
    const h = await harness({ env: { LIMIT_TEAM_TOKENS_PER_DAY: "10" } });
    h.fake.enqueue({ kind: "reply", content: "A long enough answer to use the budget." });
    expect(lastStatus(await h.adapter.send({ text: "hello?", author: "ada", thread: "a1" }))).toBe("done");
    const { inputTokens, outputTokens } = fakeTokens(h.fake);
    const refused = await h.adapter.send({ text: "my turn?", author: "bob", thread: "b1" });
    expect(errors(refused)).toEqual([
      {
        code: "over_limit",
        text: `The team's daily budget of 10 model tokens is used up (${inputTokens + outputTokens} used today). It resets at 00:00 UTC (in 10 h 32 min).`,
      },
    ]);
  });

  it("does not apply to admins, whose usage is still recorded", async () => {
    const access: AccessGate = {
      decide: (message) => ({ allowed: true, admin: message.author.id === "boss", reason: "test rules" }),
    };
    const h = await harness({ access, env: { LIMIT_REQUESTS_PER_HOUR: "1" } });
    h.sandbox.script("print(1)", () => ({ stdout: "1\n" }));
    for (const thread of ["x1", "x2", "x3"]) {
      expect(lastStatus(await h.adapter.send({ text: DIRECT, author: "boss", thread }))).toBe("done");
    }
    expect(lastStatus(await h.adapter.send({ text: DIRECT, author: "ada", thread: "a1" }))).toBe("done");
    expect(errors(await h.adapter.send({ text: DIRECT, author: "ada", thread: "a2" }))[0]?.code).toBe(
      "over_limit",
    );
    const rows = await h.store.listRequestUsage({ since: 0 });
    expect(rows.map((row) => row.userId)).toEqual(["boss", "boss", "boss", "ada"]);
    const usage = await h.adapter.send({ text: "", command: "usage", author: "boss", thread: "x1" });
    expect(ofType(usage, "text")[0]?.text).toContain("Limits (you're an admin, so they don't apply to you):");
  });
});

describe("the usage command", () => {
  it("shows a person's own day and hour, and each limit with what is left, without starting a sandbox", async () => {
    const h = await harness({
      env: {
        LIMIT_REQUESTS_PER_HOUR: "20",
        LIMIT_TOKENS_PER_DAY: "100000",
        LIMIT_SANDBOX_SECONDS_PER_DAY: "600",
        LIMIT_TEAM_TOKENS_PER_DAY: "2000000",
      },
    });
    h.sandbox.script("print(1)", () => ({ stdout: "1\n", durationMs: 30_000 }));
    h.clock.now = T0 - 2 * 60 * MIN;
    await h.adapter.send({ text: DIRECT, author: "ada", thread: "morning" });
    h.clock.now = T0;
    h.fake.enqueue({ kind: "reply", content: "Hello!" }, { kind: "reply", content: "Hi Bob!" });
    await h.adapter.send({ text: "hello?", author: "ada", thread: "now" });
    const ada = fakeTokens(h.fake);
    await h.adapter.send({ text: "hi?", author: "bob", thread: "bob" });
    const team = fakeTokens(h.fake);
    const n = (value: number) => value.toLocaleString("en-US");
    const adaTokens = ada.inputTokens + ada.outputTokens;
    const teamTokens = team.inputTokens + team.outputTokens;
    const acquiredBefore = h.acquired.length;
    h.clock.now = T0 + MIN;
    const events = await h.adapter.send({ text: "", command: "usage", author: "ada", thread: "now" });
    expect(h.acquired).toHaveLength(acquiredBefore);
    expect(ofType(events, "text").map((event) => event.text)).toEqual([
      [
        `Your usage today (UTC): 2 requests, ${n(adaTokens)} model tokens (${n(ada.inputTokens)} in, ${n(ada.outputTokens)} out), 1 code run, 30 s of sandbox time, 0 files in, 0 files out.`,
        `In the last hour: 1 request, ${n(adaTokens)} model tokens (${n(ada.inputTokens)} in, ${n(ada.outputTokens)} out), 0 code runs, 0 s of sandbox time.`,
        "Limits (days are UTC; they reset at 00:00 UTC):",
        "• 20 requests per hour: 1 in the last 60 minutes, 19 left.",
        `• 100,000 model tokens per day: ${n(adaTokens)} used, ${n(100_000 - adaTokens)} left.`,
        "• 600 s of sandbox time per day: 30 s used, 570 s left.",
        `• The team's 2,000,000 model tokens per day: ${n(teamTokens)} used, ${n(2_000_000 - teamTokens)} left.`,
      ].join("\n"),
    ]);
    expect(await h.store.listRequestUsage({ since: 0 })).toHaveLength(3);
  });

  it("says so when no limits are set", async () => {
    const h = await harness();
    const events = await h.adapter.send({ text: "", command: "usage", thread: "t" });
    const text = ofType(events, "text")[0]?.text ?? "";
    expect(text).toContain("Your usage today (UTC): 0 requests, 0 model tokens (0 in, 0 out)");
    expect(text.split("\n").at(-1)).toBe("No usage limits are set.");
  });
});

describe("code-interpreter-bot usage", () => {
  it("reports totals equal to the sum of the recorded requests, per user and per day", async () => {
    const h = await harness();
    h.sandbox.script("print(1)", () => ({ stdout: "1\n", durationMs: 700 }));
    h.fake.enqueue(
      { kind: "reply", content: "", toolCalls: [pythonCall("print(1)")] },
      { kind: "reply", content: "It printed 1." },
      { kind: "reply", content: "Hello Bob." },
    );
    await h.adapter.send({ text: "run print(1) for me", author: "ada", thread: "a1" });
    h.clock.now = T0 + 24 * 60 * MIN;
    await h.adapter.send({ text: DIRECT, author: "ada", thread: "a1" });
    await h.adapter.send({ text: "hello?", author: "bob", thread: "b1" });
    const recorded = await h.store.listRequestUsage({ since: 0 });
    expect(recorded).toHaveLength(3);
    const sum = (pick: (row: RequestUsageRecord) => number) =>
      recorded.reduce((total, row) => total + pick(row), 0);
    const env = {
      DATA_DIR: path.dirname(h.databasePath),
      DATABASE_PATH: h.databasePath,
      PRICE_INPUT_PER_MILLION: "2.5",
      PRICE_OUTPUT_PER_MILLION: "10",
    };
    const result = await runCliCaptured(["usage", "--json", "--since", "2025-03-01"], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const inputTokens = sum((row) => row.inputTokens);
    const outputTokens = sum((row) => row.outputTokens);
    expect(report.totals).toEqual({
      requests: 3,
      modelCalls: sum((row) => row.modelCalls),
      inputTokens,
      outputTokens,
      codeRuns: 2,
      sandboxMs: 1_400,
      filesIn: 0,
      filesInBytes: 0,
      filesOut: 0,
      filesOutBytes: 0,
      costUsd: (inputTokens * 2.5 + outputTokens * 10) / 1e6,
    });
    expect(report.totals.modelCalls).toBe(3);
    expect(
      report.rows.map((row: { key: string; requests: number }) => [row.key, row.requests]).sort(),
    ).toEqual([
      ["memory:ada", 2],
      ["memory:bob", 1],
    ]);
    const byDay = await runCliCaptured(["usage", "--by", "day", "--since", "2025-03-01"], env);
    expect(byDay.code).toBe(0);
    const lines = byDay.stdout.split("\n");
    expect(lines[0]).toBe("Usage since 2025-03-01 00:00 UTC (2025-03-01), by day");
    expect(lines.filter((line) => /^2025-03-1[45] /.test(line))).toHaveLength(2);
    expect(lines.find((line) => line.startsWith("TOTAL"))).toMatch(/^TOTAL\s+3\s+3\s/);
  });

  it("says what is wrong with its arguments, and names a missing database", async () => {
    const bad = await runCliCaptured(["usage", "--by", "team"], { DATA_DIR: "/nonexistent-cib" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--by team: use user, conversation, day");
    const missing = await runCliCaptured(["usage"], { DATA_DIR: "/nonexistent-cib" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No database at /nonexistent-cib/bot.sqlite");
  });
});
