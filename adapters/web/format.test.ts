import { describe, expect, it } from "vitest";
import { escapeMarkdown, WEB_TEXT, webCodeBlock } from "./format.ts";
import { activityAfter, summarize } from "./web-activity.ts";
import { renderMarkdown } from "./web-render.ts";

const visible = (html: string) =>
  html
    .replace(/<br>\n?/g, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();

describe("web text", () => {
  it("shows literal text exactly as it is, Markdown characters and line breaks included", () => {
    for (const text of [
      "huge.csv",
      "1. not a list",
      "*a* _b_ `c` [d](e) <f> & \\ # g",
      "line one\nline two",
    ]) {
      expect(visible(renderMarkdown(escapeMarkdown(text)))).toBe(text);
    }
  });

  it("fences code longer than any backtick run in it, so the code stays exact", () => {
    const code = "print('```')\nx = 1\n";
    const block = webCodeBlock(code, 1000, "python") ?? "";
    expect(block).toBe("````python\nprint('```')\nx = 1\n````");
    expect(visible(renderMarkdown(block))).toBe("print('```')\nx = 1");
    expect(webCodeBlock("x".repeat(100), 50)).toBeNull();
  });

  it("marks a run's output for the collapsible block, open when short and closed when long", () => {
    const short = renderMarkdown(WEB_TEXT.codeBlock("a\nb", 1000) ?? "");
    expect(short).toContain(
      '<details class="output" data-testid="run-output" open><summary>Output (2 lines)',
    );
    const long = renderMarkdown(
      WEB_TEXT.codeBlock(Array.from({ length: 40 }, String).join("\n"), 10_000) ?? "",
    );
    expect(long).toContain('<details class="output" data-testid="run-output"><summary>Output (40 lines)');
  });
});

describe("web rendering", () => {
  it("keeps markdown-it's link check, and sends links off the page with no referrer", () => {
    const html = renderMarkdown("[x](javascript:alert(1)) [y](https://example.com)");
    expect(html).not.toContain('href="javascript');
    expect(html).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">y</a>',
    );
  });

  it("aligns table columns with classes, not inline styles", () => {
    const html = renderMarkdown("| a | b |\n|--:|:-:|\n| 1 | 2 |");
    expect(html).toContain('<th class="align-right">a</th>');
    expect(html).not.toContain("style=");
  });
});

describe("the status indicator", () => {
  it("follows a request through its stages", () => {
    expect(activityAfter({ type: "status", status: "working" })?.state).toBe("working");
    expect(activityAfter({ type: "sandbox-stage", stage: { stage: "queued", ahead: 2 } })).toEqual({
      state: "queued",
      label: "Queued for a sandbox: 2 requests ahead.",
    });
    expect(activityAfter({ type: "sandbox-stage", stage: { stage: "starting" } })?.state).toBe("starting");
    expect(activityAfter({ type: "status", status: "running-code" })?.state).toBe("running-code");
    expect(activityAfter({ type: "text-delta", text: "x" })).toBeNull();
    expect(activityAfter({ type: "status", status: "done" })?.state).toBe("idle");
  });

  it("shows the running request and counts the ones waiting behind it", () => {
    const running = { state: "running-code", label: "Running code…" } as const;
    const queued = { state: "queued", label: "Queued" } as const;
    expect(summarize([])).toEqual({ state: "idle", label: "" });
    expect(summarize([running, queued])).toEqual({
      state: "running-code",
      label: "Running code… (1 more waiting)",
    });
  });
});
