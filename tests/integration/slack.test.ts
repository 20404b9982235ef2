import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonCall } from "../helpers/bot-harness.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

describe("Slack in Socket Mode", () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await createSlackHarness();
  }, 900_000);
  afterAll(async () => {
    await h?.close();
  });

  it("answers a DM with a CSV with a chart and a derived file, at the DM's top level", async () => {
    h.bot.fake.enqueue(
      {
        kind: "reply",
        toolCalls: [
          pythonCall(
            "import pandas as pd\ndf = pd.read_csv('/mnt/data/temps.csv')\ndf['f'] = df.c * 9 / 5 + 32\n" +
              "df.to_csv('/mnt/data/temps_f.csv', index=False)\ndf.plot(x='day', y='f')",
          ),
        ],
      },
      { kind: "reply", content: "Converted to Fahrenheit." },
    );
    const sent = await h.driver.dm("convert to fahrenheit and chart it", [
      { name: "temps.csv", data: Buffer.from("day,c\n1,10\n2,20\n"), mimeType: "text/csv" },
    ]);
    expect(await h.driver.waitForReply(sent)).toBe("done");
    const view = h.driver.view("dm");
    expect(view.files.find((f) => f.name === "temps_f.csv")?.data.toString()).toBe(
      "day,c,f\n1,10,50.0\n2,20,68.0\n",
    );
    expect(await sharp(view.images[0]).metadata()).toMatchObject({ format: "png" });
    expect(view.texts.at(-1)).toBe("Converted to Fahrenheit.");
  });

  it("runs a slash command's code directly, posting it in the channel and answering in its thread", async () => {
    const requests = h.bot.fake.requests.length;
    const { acked } = await h.slack.sendSlashCommand({
      command: "/python",
      text: "print(2 ** 10)",
      user_id: "U0ALICE",
      channel_id: "C0GENERAL",
    });
    expect(acked).toBe(true);
    const root = await waitFor(() =>
      h.slack.messages.find((m) => m.text?.includes("used /python") && m.text.includes("print(2 ** 10)")),
    );
    await h.driver.waitForReply({ thread: root.ts, messageId: root.ts });
    const thread = h.slack.messages.filter((m) => m.thread_ts === root.ts).map((m) => m.text ?? "");
    expect(thread.join("\n")).toContain("1024");
    expect(h.bot.fake.requests.length).toBe(requests);
  });

  /** Runs `/python <text>` in the channel and returns the private (response_url) answer, as JSON text. */
  async function privateAnswerTo(text: string): Promise<string> {
    const before = h.slack.responseUrlPosts.length;
    await h.slack.sendSlashCommand({ command: "/python", text, user_id: "U0ALICE", channel_id: "C0GENERAL" });
    return JSON.stringify(await waitFor(() => h.slack.responseUrlPosts[before]));
  }

  it("answers /python help privately", async () => {
    const answer = await privateAnswerTo("help");
    expect(answer).toContain("ephemeral");
    expect(answer).toContain("python");
  });

  it("explains that /python reset in a channel has nothing to reset", async () => {
    expect(await privateAnswerTo("reset")).toMatch(
      /starts a fresh session in its own thread.*mention me in the thread/,
    );
  });

  it("shows progress: 👀 while working, then ✅, and one message edited as the answer streams", async () => {
    h.bot.fake.enqueue({
      kind: "reply",
      content: "Streaming ".repeat(40),
      chunkSize: 20,
      delayMsBetweenChunks: 40,
    });
    const sent = await h.driver.startThread("stream something");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    const marks = h.slack.calls
      .filter((c) => c.method.startsWith("reactions.") && c.args.timestamp === sent.messageId)
      .map((c) => `${c.method === "reactions.add" ? "+" : "-"}${String(c.args.name)}`);
    expect(marks).toEqual(["+eyes", "-eyes", "+white_check_mark"]);
    const answer = h.slack.messages.filter((m) => m.thread_ts === sent.thread);
    expect(answer).toHaveLength(1);
    expect(answer[0]?.text.trim()).toBe("Streaming ".repeat(40).trim());
    // Edited while streaming, but throttled: far fewer edits than chunks.
    expect(answer[0]?.versions.length).toBeGreaterThan(1);
    expect(answer[0]?.versions.length).toBeLessThan(20);
  });

  it("attaches long code as a .py file instead of a message", async () => {
    const code = `${"values = [\n"}${"    1,\n".repeat(800)}]\nprint(sum(values))`;
    h.bot.fake.enqueue({ kind: "reply", toolCalls: [pythonCall(code)] }, { kind: "reply", content: "800." });
    const sent = await h.driver.startThread("add them");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    const view = h.driver.view(sent.thread);
    expect(view.files.find((f) => f.name === "code-1.py")?.data.toString()).toBe(code);
    expect(view.texts.join("\n")).toContain("800");
  });

  it("explains a sign-in page served instead of the file", async () => {
    h.bot.fake.enqueue({ kind: "reply", content: "I need the file." });
    const ts = `${Date.now() / 1000}`;
    const file = h.slack.hostFile("report.xlsx", Buffer.from("PK fake"), "application/vnd.ms-excel", {
      asHtmlLoginPage: true,
    });
    await h.slack.sendEvent({
      type: "app_mention",
      user: "U0ALICE",
      text: `<@${h.slack.botUserId}> read this`,
      ts,
      channel: "C0GENERAL",
      files: [file],
    });
    await h.driver.waitForReply({ thread: ts, messageId: ts });
    expect(h.driver.view(ts).texts.join("\n")).toMatch(/report\.xlsx.*sign-in page instead of the file/);
  });

  it("retries chat.postMessage after a 429's Retry-After", async () => {
    h.bot.fake.enqueue({ kind: "reply", content: "Made it through." });
    h.slack.failNext("chat.postMessage", { status: 429, retryAfterSeconds: 1 });
    const sent = await h.driver.startThread("hello");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    expect(h.driver.view(sent.thread).texts).toContain("Made it through.");
    const attempts = h.slack.calls.filter(
      (c) => c.method === "chat.postMessage" && String(c.args.text).includes("Made it"),
    );
    expect(attempts.length).toBeGreaterThanOrEqual(1);
  });

  it("reconnects after the server's disconnect and keeps answering", async () => {
    const before = h.slack.socketConnections();
    await h.slack.disconnect("refresh_requested");
    await h.slack.waitForSocket(before + 1);
    h.bot.fake.enqueue({ kind: "reply", content: "Still here." });
    const sent = await h.driver.startThread("are you there?");
    expect(await h.driver.waitForReply(sent)).toBe("done");
    expect(h.driver.view(sent.thread).texts).toContain("Still here.");
  });
});

describe("Slack over signed HTTP", () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await createSlackHarness({ mode: "http" });
  }, 900_000);
  afterAll(async () => {
    await h?.close();
  });

  function mention(ts: string, text: string): object {
    return {
      token: "verification",
      team_id: h.slack.teamId,
      api_app_id: "A0001",
      type: "event_callback",
      event_id: `Ev${ts.replace(".", "")}`,
      event_time: Math.floor(Date.now() / 1000),
      event: {
        type: "app_mention",
        user: "U0ALICE",
        text: `<@${h.slack.botUserId}> ${text}`,
        ts,
        channel: "C0GENERAL",
      },
    };
  }

  it("handles a signed event, and a retried delivery of it once", async () => {
    h.bot.fake.enqueue({ kind: "reply", content: "Signed and delivered." });
    const ts = "1900000000.000100";
    const url = h.eventsUrl ?? "";
    expect((await h.slack.postSignedEvent(url, mention(ts, "hi"))).status).toBe(200);
    await h.driver.waitForReply({ thread: ts, messageId: ts });
    expect(
      (await h.slack.postSignedEvent(url, mention(ts, "hi"), { retryNum: 1, retryReason: "http_timeout" }))
        .status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(h.driver.view(ts).texts).toEqual(["Signed and delivered."]);
    expect(h.bot.fake.pending()).toBe(0);
  });

  it("refuses unsigned, badly signed and stale requests", async () => {
    const url = h.eventsUrl ?? "";
    const body = mention("1900000001.000100", "sneaky");
    expect((await h.slack.postSignedEvent(url, body, { noSignature: true })).status).toBe(401);
    expect((await h.slack.postSignedEvent(url, body, { badSignature: true })).status).toBe(401);
    expect((await h.slack.postSignedEvent(url, body, { staleTimestamp: true })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.driver.view("1900000001.000100").texts).toEqual([]);
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("timed out waiting");
}
