import { describe, expect, it } from "vitest";
import { SLACK_FORMATTING } from "../../adapters/slack/format.ts";
import { trimHistory } from "../../src/agent/history-trim.ts";
import { parsePythonCall } from "../../src/agent/python-tool.ts";
import { buildSystemPrompt } from "../../src/agent/system-prompt.ts";
import { headAndTail } from "../../src/agent/tool-result-text.ts";
import type { ConversationMessage } from "../../src/store/types.ts";

describe("parsePythonCall", () => {
  it("accepts {code}", () => {
    expect(parsePythonCall("python", '{"code": "print(1)"}')).toEqual({ ok: true, code: "print(1)" });
  });
  it.each([
    ["broken JSON", "python", "{code: 1", /not valid JSON/],
    ["no code field", "python", '{"source": "1"}', /non-empty string field "code"/],
    ["empty code", "python", '{"code": "  "}', /non-empty/],
    ["another tool", "browser", '{"url": "x"}', /no tool called "browser"/],
  ])("explains %s", (_label, name, args, problem) => {
    const parsed = parsePythonCall(name, args);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });
});

describe("trimHistory", () => {
  const big = (n: number) => "x".repeat(n * 4);
  it("keeps everything that fits", () => {
    const messages: ConversationMessage[] = [
      { role: "user", content: "a" },
      { role: "assistant", content: "b" },
    ];
    expect(trimHistory(messages, 1000)).toEqual({ kept: messages, droppedCount: 0 });
  });

  it("drops the oldest first and never splits a tool call from its results", () => {
    const messages: ConversationMessage[] = [
      { role: "user", content: big(100) },
      { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "python", arguments: big(50) }] },
      { role: "tool", toolCallId: "c1", content: big(50) },
      { role: "assistant", content: "done" },
      { role: "user", content: "next" },
    ];
    const trimmed = trimHistory(messages, 130);
    expect(trimmed.kept.map((m) => m.role)).toEqual(["assistant", "tool", "assistant", "user"]);
    expect(trimmed.droppedCount).toBe(1);
    const tighter = trimHistory(messages, 40);
    expect(tighter.kept.map((m) => m.role)).toEqual(["assistant", "user"]);
  });

  it("always keeps the newest message, even when it alone is over budget", () => {
    const trimmed = trimHistory([{ role: "user", content: big(5000) }], 10);
    expect(trimmed.kept).toHaveLength(1);
  });
});

describe("headAndTail", () => {
  it("keeps both ends and says how much was cut", () => {
    const text = `${"a".repeat(100)}${"b".repeat(100)}`;
    const cut = headAndTail(text, 50);
    expect(cut.startsWith("a".repeat(35))).toBe(true);
    expect(cut.endsWith("b".repeat(15))).toBe(true);
    expect(cut).toContain("[… 150 characters cut …]");
  });
});

describe("buildSystemPrompt", () => {
  it("tells the model about files, the sandbox and the chat's formatting", () => {
    const prompt = buildSystemPrompt({
      formatting: SLACK_FORMATTING,
      files: [{ path: "sales.csv", size: 2048, mime: "text/csv", preview: "2 rows x 2 columns: a, b" }],
      timeoutSeconds: 120,
      memoryMb: 1024,
      libraries: null,
      now: new Date("2026-05-01T00:00:00Z"),
    });
    expect(prompt).toContain("/mnt/data/sales.csv (2.0 KB, text/csv)");
    expect(prompt).toContain("    2 rows x 2 columns: a, b");
    expect(prompt).toContain("no internet access");
    expect(prompt).toContain("Slack thread");
    expect(prompt).toContain("at most 120 s and 1024 MB");
    expect(prompt).toContain("Today is 2026-05-01");
  });
});
