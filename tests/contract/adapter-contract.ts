/**
 * What "done" means for a chat adapter, independent of the platform: every adapter's test
 * runs this suite through a driver that speaks its platform's real protocol to the real SDK.
 * The fake OpenAI server scripts the model; the sandbox is the real Docker one, or the scripted
 * one from tests/fakes/sandbox for a run that needs no Docker.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { pythonCall } from "../helpers/bot-harness.ts";

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
      const messages = (ctx.model.requests.at(-1)?.body.messages ?? []) as Array<{
        role?: string;
        content?: unknown;
      }>;
      const toolResult = messages.filter((message) => message.role === "tool").at(-1);
      expect(String(toolResult?.content)).toMatch(/\b42\b/);
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
