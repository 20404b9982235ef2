/**
 * What "done" means for a chat adapter, independent of the platform: every adapter's test
 * runs this suite through a driver that speaks its platform's real protocol to the real SDK.
 * The fake OpenAI server scripts the model; the sandbox is the real Docker one, or the scripted
 * one from tests/fakes/sandbox for a run that needs no Docker.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.ts";
import type { FakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { pythonCall } from "../helpers/bot-harness.ts";
import { createTestSandbox } from "../helpers/sandbox.ts";

export interface SentMessage {
  thread: string;
  /** The platform's id of the user's message; the reply to it is awaited by this id. */
  messageId: string;
}

export interface ThreadView {
  /** The bot's messages in the thread, as text, oldest first (final versions after edits). */
  texts: string[];
  images: Buffer[];
  files: Array<{ name: string; data: Buffer }>;
}

export interface ContractDriver {
  /** A user addresses the bot (a mention) in a new thread. */
  startThread(
    text: string,
    attachments?: Array<{ name: string; data: Buffer; mimeType: string }>,
  ): Promise<SentMessage>;
  /** A user writes again in the thread, without addressing the bot. */
  reply(thread: string, text: string): Promise<SentMessage>;
  /** The platform delivers the same message again (a retry). */
  redeliver(message: SentMessage): Promise<void>;
  /** Resolves when the bot has finished answering that message (done or failed). */
  waitForReply(message: SentMessage): Promise<"done" | "failed">;
  view(thread: string): ThreadView;
}

export interface ContractContext {
  driver: ContractDriver;
  model: FakeOpenAI;
  /** The attachment size limit the adapter under test was configured with, in MB (1). */
  close(): Promise<void>;
}

/** What the model read after its last code run. */
function lastToolResult(model: FakeOpenAI): string {
  const messages = (model.requests.at(-1)?.body.messages ?? []) as Array<{
    role?: string;
    content?: unknown;
  }>;
  return String(messages.filter((message) => message.role === "tool").at(-1)?.content);
}

export function adapterContract(platform: string, setup: () => Promise<ContractContext>): void {
  describe(`${platform} adapter contract`, () => {
    let ctx: ContractContext;
    beforeAll(async () => {
      ctx = await setup();
    }, 900_000);
    afterAll(async () => {
      await ctx?.close();
    });

    it("answers a question in the thread with text and a PNG chart", async () => {
      ctx.model.enqueue(
        {
          kind: "reply",
          toolCalls: [
            pythonCall("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares')"),
          ],
        },
        { kind: "reply", content: "Here are the **squares**." },
      );
      const sent = await ctx.driver.startThread("plot the first three squares");
      expect(await ctx.driver.waitForReply(sent)).toBe("done");
      const view = ctx.driver.view(sent.thread);
      expect(view.texts.join("\n")).toContain("Here are the");
      expect(view.texts.join("\n")).toContain("squares");
      expect(view.images).toHaveLength(1);
      expect(await sharp(view.images[0]).metadata()).toMatchObject({
        format: "png",
        width: 800,
        height: 500,
      });
    });

    it("takes a CSV attachment and returns a chart and a derived file", async () => {
      const csv = "region,sales\nnorth,120\nsouth,80\nnorth,30\n";
      const code =
        "import pandas as pd\ndf = pd.read_csv('/mnt/data/sales.csv')\ntotals = df.groupby('region').sales.sum()\n" +
        "totals.to_csv('/mnt/data/totals.csv')\ntotals.plot.bar()";
      ctx.model.enqueue(
        { kind: "reply", toolCalls: [pythonCall(code)] },
        { kind: "reply", content: "North sold 150." },
      );
      const sent = await ctx.driver.startThread("total sales by region, as a chart and a CSV", [
        { name: "sales.csv", data: Buffer.from(csv), mimeType: "text/csv" },
      ]);
      expect(await ctx.driver.waitForReply(sent)).toBe("done");
      const view = ctx.driver.view(sent.thread);
      expect(view.images).toHaveLength(1);
      const totals = view.files.find((f) => f.name === "totals.csv");
      expect(totals?.data.toString()).toBe("region,sales\nnorth,150\nsouth,80\n");
    });

    it("returns a plotly figure as a PNG and as an interactive page that opens offline", async () => {
      ctx.model.enqueue(
        {
          kind: "reply",
          toolCalls: [
            pythonCall(
              "import plotly.express as px\nfig = px.line(x=[1, 2, 3], y=[1, 4, 9], title='squares')\nfig.show()",
            ),
          ],
        },
        { kind: "reply", content: "Here is the interactive chart." },
      );
      const sent = await ctx.driver.startThread("an interactive chart of the first three squares");
      expect(await ctx.driver.waitForReply(sent)).toBe("done");
      const view = ctx.driver.view(sent.thread);
      expect(view.images).toHaveLength(1);
      expect(await sharp(view.images[0]).metadata()).toMatchObject({
        format: "png",
        width: 800,
        height: 500,
      });
      expect(view.files.map((f) => f.name)).toEqual(["figure-1.png", "figure-1.html"]);
      const page = view.files.find((f) => f.name === "figure-1.html")?.data.toString() ?? "";
      // Self-contained: plotly.js itself is in the page, nothing is fetched when it opens.
      expect(page).toMatch(/^<html>/);
      expect(page).toMatch(/plotly\.js v\d+\.\d+\.\d+/);
      expect(page).toContain("Plotly.newPlot(");
      expect(page).toContain('{"text":"squares"}');
      expect(page).not.toMatch(/<script[^>]*\ssrc=/);
      expect(lastToolResult(ctx.model)).toContain("figure-1.html");
    });

    it("shows a 10,000-row DataFrame as a cut table with a note, and the whole of it as CSV", async () => {
      ctx.model.enqueue(
        {
          kind: "reply",
          toolCalls: [
            pythonCall(
              "import pandas as pd\npd.DataFrame({'n': range(10_000), 'square': [i * i for i in range(10_000)]})",
            ),
          ],
        },
        { kind: "reply", content: "That is the table." },
      );
      const sent = await ctx.driver.startThread("a table of ten thousand squares");
      expect(await ctx.driver.waitForReply(sent)).toBe("done");
      const view = ctx.driver.view(sent.thread);
      // The web chat shows Markdown, where the note's punctuation is escaped.
      const text = view.texts.join("\n").replaceAll("\\", "");
      expect(text).toMatch(/^0\s+0\s+0$/m);
      expect(text).toMatch(/^9999\s+9999\s+99980001$/m);
      expect(text).toContain("10,000 rows × 2 columns:");
      expect(text).toMatch(/[\d,]+ rows are not shown; the whole table is attached as table-1\.csv/);
      const csv = view.files.find((f) => f.name === "table-1.csv")?.data.toString() ?? "";
      const lines = csv.trimEnd().split("\n");
      expect(lines).toHaveLength(10_001);
      expect(lines[0]).toBe("n,square");
      expect(lines.at(-1)).toBe("9999,99980001");
      expect(lastToolResult(ctx.model)).toMatch(/table shown to the user: 10000 rows x 2 columns/);
    });

    it("reuses the session's variables for a follow-up in the thread", async () => {
      ctx.model.enqueue(
        { kind: "reply", toolCalls: [pythonCall("secret = 6 * 7")] },
        { kind: "reply", content: "Saved." },
      );
      const first = await ctx.driver.startThread("remember six times seven");
      expect(await ctx.driver.waitForReply(first)).toBe("done");
      ctx.model.enqueue(
        { kind: "reply", toolCalls: [pythonCall("print(secret)")] },
        { kind: "reply", content: "It is 42." },
      );
      const second = await ctx.driver.reply(first.thread, "what was it?");
      expect(await ctx.driver.waitForReply(second)).toBe("done");
      expect(ctx.driver.view(first.thread).texts.join("\n")).toContain("It is 42.");
      expect(ctx.model.pending()).toBe(0);
      // The model's line is scripted; what proves the variable survived is what the sandbox printed.
      expect(lastToolResult(ctx.model)).toMatch(/\b42\b/);
    });

    it("handles a repeated delivery once", async () => {
      ctx.model.enqueue({ kind: "reply", content: "Once." });
      const sent = await ctx.driver.startThread("say once");
      expect(await ctx.driver.waitForReply(sent)).toBe("done");
      const requests = ctx.model.requests.length;
      const before = ctx.driver.view(sent.thread).texts.length;
      await ctx.driver.redeliver(sent);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ctx.model.requests.length).toBe(requests);
      expect(ctx.driver.view(sent.thread).texts.length).toBe(before);
    });

    it("explains an attachment over the size limit", async () => {
      ctx.model.enqueue({ kind: "reply", content: "I could not read it." });
      const sent = await ctx.driver.startThread("analyse this", [
        { name: "huge.csv", data: Buffer.alloc(2 * 1024 * 1024, 97), mimeType: "text/csv" },
      ]);
      expect(await ctx.driver.waitForReply(sent)).toBe("done");
      expect(ctx.driver.view(sent.thread).texts.join("\n")).toMatch(/huge\.csv.*over the 1\.0 MB limit/);
    });

    it("splits a long answer without losing any of it", async () => {
      const words = Array.from({ length: 1_500 }, (_, i) => `w${String(i).padStart(4, "0")}`);
      ctx.model.enqueue({ kind: "reply", content: words.join(" "), chunkSize: 500 });
      const sent = await ctx.driver.startThread("say a lot");
      expect(await ctx.driver.waitForReply(sent)).toBe("done");
      const texts = ctx.driver.view(sent.thread).texts;
      expect(texts.length).toBeGreaterThan(1);
      const seen = texts.join(" ").match(/w\d{4}/g) ?? [];
      expect(seen).toEqual(words);
    });
  });
}

/**
 * The contract on the real Docker sandbox for a platform whose harness takes a sandbox. Runs
 * get 30 s: the first plotly figure of a run starts a browser in the sandbox to draw its
 * picture, which can take longer than the 4 s TEST_LIMITS give tests about the time limit itself.
 */
export function adapterContractOnDocker(
  platform: string,
  createHarness: (sandbox: Sandbox) => Promise<ContractContext>,
): void {
  adapterContract(platform, async () => {
    const sandbox = await createTestSandbox({ executionTimeoutMs: 30_000 });
    const harness = await createHarness(sandbox.manager);
    return {
      ...harness,
      close: async () => {
        await harness.close();
        await sandbox.cleanup();
      },
    };
  });
}
