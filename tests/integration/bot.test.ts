import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { describeLibraries } from "../../src/agent/library-prompt.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import { type BotHarness, createBotHarness, ofType, pythonCall } from "../helpers/bot-harness.ts";
import { writeParquet } from "../helpers/parquet-fixtures.ts";

describe("the bot without a language model", () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await createBotHarness({}, false);
  }, 900_000);
  afterAll(async () => {
    await h?.close();
  });

  it("runs a fenced python block directly, keeping state like a notebook", async () => {
    const first = await h.adapter.send({ text: "```python\nimport math\nr = 3\nmath.pi * r ** 2\n```" });
    expect(ofType(first, "code")[0]?.code).toBe("import math\nr = 3\nmath.pi * r ** 2");
    expect(ofType(first, "code-result")[0]?.run).toMatchObject({
      status: "ok",
      result: "28.274333882308138",
    });
    const second = await h.adapter.send({ text: "```py\nprint(r * 2)\n```" });
    expect(ofType(second, "code-result")[0]?.run.stdout).toBe("6\n");
    expect(ofType(second, "status").at(-1)?.status).toBe("done");
  });

  it("runs forced code from a slash command, and reports a Python error as a result", async () => {
    const events = await h.adapter.send({ text: "1 / 0", forceDirectRun: true });
    expect(ofType(events, "code-result")[0]?.run).toMatchObject({
      status: "error",
      error: { name: "ZeroDivisionError" },
    });
    expect(ofType(events, "status").at(-1)?.status).toBe("done");
  });

  it("says clearly that plain-language questions need OPENAI_API_KEY", async () => {
    const events = await h.adapter.send({ text: "what is the average of the sales column?" });
    expect(ofType(events, "error")[0]).toMatchObject({ code: "no_model" });
    expect(ofType(events, "error")[0]?.text).toMatch(/needs a language model.*OPENAI_API_KEY/s);
  });

  it("handles a repeated delivery once", async () => {
    const first = await h.adapter.send({
      text: "```python\ncount = globals().get('count', 0) + 1\nprint(count)\n```",
      deliveryId: "evt-1",
    });
    const repeat = await h.adapter.send({
      text: "```python\ncount = globals().get('count', 0) + 1\nprint(count)\n```",
      deliveryId: "evt-1",
    });
    expect(ofType(first, "code-result")[0]?.run.stdout).toBe("1\n");
    expect(repeat).toEqual([]);
  });

  it("queues a second message behind the first, in order", async () => {
    const slow = h.adapter.send({
      text: "```python\nimport time\ntime.sleep(1)\norder = ['first']\n```",
      thread: "queue",
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fast = await h.adapter.send({
      text: "```python\norder.append('second')\nprint(order)\n```",
      thread: "queue",
    });
    await slow;
    expect(fast[0]).toEqual({ type: "status", status: "queued" });
    expect(ofType(fast, "code-result")[0]?.run.stdout).toBe("['first', 'second']\n");
  });

  it("copies attachments into /mnt/data with safe, unique names", async () => {
    const csv = Buffer.from("a,b\n1,2\n");
    await h.adapter.send({ text: "", attachments: [{ name: "../../data.csv", data: csv }], thread: "files" });
    const events = await h.adapter.send({
      text: "```python\nimport os\nprint(sorted(os.listdir('/mnt/data')))\n```",
      attachments: [{ name: "data.csv", data: csv }],
      thread: "files",
    });
    expect(ofType(events, "code-result")[0]?.run.stdout).toBe("['data-2.csv', 'data.csv']\n");
  });

  it("explains an oversized attachment and a sign-in page served instead of a file", async () => {
    const small = await createBotHarness({ MAX_ATTACHMENT_MB: "1" }, false);
    try {
      const events = await small.adapter.send({
        text: "```python\nimport os\nprint(os.listdir('/mnt/data'))\n```",
        attachments: [
          { name: "huge.bin", data: Buffer.alloc(2 * 1024 * 1024) },
          { name: "report.xlsx", data: Buffer.from("<!DOCTYPE html><html><body>Sign in</body></html>") },
          { name: "ok.txt", data: Buffer.from("fine") },
        ],
      });
      const notices = ofType(events, "notice").map((e) => e.text);
      expect(notices[0]).toMatch(
        /could not use huge\.bin: it is 2\.0 MB, over the 1\.0 MB limit for attachments/,
      );
      expect(notices[1]).toMatch(
        /could not use report\.xlsx: the download returned a web page instead of the file/,
      );
      expect(ofType(events, "code-result")[0]?.run.stdout).toBe("['ok.txt']\n");
    } finally {
      await small.close();
    }
  });

  it("answers help, files and reset", async () => {
    await h.adapter.send({
      text: "```python\nopen('notes.txt', 'w').write('hi')\nkept = 1\n```",
      thread: "commands",
    });
    const files = await h.adapter.send({ text: "", command: "files", thread: "commands" });
    expect(ofType(files, "text")[0]?.text).toMatch(/\/mnt\/data\/notes\.txt \(2 bytes\)/);
    const reset = await h.adapter.send({ text: "", command: "reset", thread: "commands" });
    expect(ofType(reset, "text")[0]?.text).toMatch(/Started over/);
    const after = await h.adapter.send({
      text: "```python\nimport os\nprint(os.listdir('.'), globals().get('kept'))\n```",
      thread: "commands",
    });
    expect(ofType(after, "code-result")[0]?.run.stdout).toBe("[] None\n");
    const help = await h.adapter.send({ text: "", command: "help", thread: "commands" });
    expect(ofType(help, "text")[0]?.text).toMatch(/```python code block```/);
  });

  it("follows a thread it is part of without a new mention, and ignores others", async () => {
    const ignored = await h.adapter.send({
      text: "```python\nprint('hi')\n```",
      thread: "stranger",
      addressed: false,
    });
    expect(ignored).toEqual([]);
    await h.adapter.send({ text: "```python\nfollow = 1\n```", thread: "followed" });
    const followed = await h.adapter.send({
      text: "```python\nprint(follow + 1)\n```",
      thread: "followed",
      addressed: false,
    });
    expect(ofType(followed, "code-result")[0]?.run.stdout).toBe("2\n");
  });

  it("cancels a running request", async () => {
    const running = h.adapter.send({ text: "```python\nimport time\ntime.sleep(30)\n```", thread: "cancel" });
    await vi.waitFor(
      () =>
        expect(h.adapter.threads.get("cancel")).toContainEqual({ type: "status", status: "running-code" }),
      { timeout: 30_000, interval: 20 },
    );
    expect(
      h.bot.cancel({ platform: "memory", workspace: "local", channel: "general", thread: "cancel" }),
    ).toBe(true);
    const events = await running;
    expect(ofType(events, "code-result")[0]?.run.status).toBe("cancelled");
  });
});

describe("the bot with a language model", () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await createBotHarness({ HISTORY_TOKEN_BUDGET: "1000" });
  }, 900_000);
  afterAll(async () => {
    await h?.close();
  });

  it("tells the user when old history is left out of what the model reads", async () => {
    const filler = "x".repeat(4_000);
    await h.store.appendMessages("memory:local:general:long", [
      { role: "user", content: `old question ${filler}` },
      { role: "assistant", content: `old answer ${filler}` },
    ]);
    h.fake.enqueue({
      kind: "custom",
      handle: (request) => {
        const texts = request.messages.map((m) => String(m.content));
        expect(texts.some((t) => t.startsWith("old question"))).toBe(false);
        expect(texts.at(-1)).toBe("new question");
        return { kind: "reply", content: "ok" };
      },
    });
    const events = await h.adapter.send({ text: "new question", thread: "long" });
    expect(ofType(events, "notice")[0]?.text).toMatch(/the 2 oldest messages were left out/);
  });

  it("tells the model what the sandbox image has installed, from the image's own census", async () => {
    const libraries = await h.sandbox.manager.libraries?.();
    expect(libraries).toBeTruthy();
    const xgboost = libraries?.groups.flatMap((group) => group.libraries).find((l) => l.import === "xgboost");
    h.fake.enqueue({
      kind: "custom",
      handle: (request) => {
        const system = String(request.messages[0]?.content);
        expect(system).toContain(describeLibraries(libraries ?? null));
        expect(system).toContain(`xgboost ${xgboost?.version}`);
        expect(system).toContain("`pip install` cannot work");
        expect(system).toMatch(/- tensorflow and keras: not packaged by Debian/);
        expect(system).toContain("seaborn.load_dataset() works offline for: anscombe, diamonds");
        return { kind: "reply", content: "I have xgboost." };
      },
    });
    const events = await h.adapter.send({ text: "can you use xgboost?", thread: "stack" });
    expect(ofType(events, "text").at(-1)?.text).toBe("I have xgboost.");
  });

  it("describes an uploaded Parquet file from its footer, with its first rows", async () => {
    const parquet = writeParquet(
      arrow.tableFromArrays({ region: ["north", "south", "east"], amount: Float64Array.from([10, 20, 30]) }),
      { compression: "SNAPPY", version: "V1", dictionary: true, rowGroupSize: 2 },
    );
    let system = "";
    h.fake.enqueue({
      kind: "custom",
      handle: (request) => {
        system = String(request.messages[0]?.content);
        return { kind: "reply", content: "Three regions." };
      },
    });
    const events = await h.adapter.send({
      text: "what is in it?",
      attachments: [{ name: "sales.parquet", data: Buffer.from(parquet) }],
      thread: "parquet",
    });
    expect(ofType(events, "text").at(-1)?.text).toBe("Three regions.");
    expect(system).toContain("/mnt/data/sales.parquet");
    expect(system).toMatch(/3 rows x 2 columns: region, amount\n\s+first rows:\n.*\n\s+0\s+north\s+10\.0\n/);
  });

  it("lists uploaded tables with their columns in the system prompt", async () => {
    h.fake.enqueue({
      kind: "custom",
      handle: (request) => {
        const system = String(request.messages[0]?.content);
        expect(system).toContain("/mnt/data/sales.csv");
        expect(system).toMatch(/3 rows x 2 columns: region, amount/);
        expect(system).toContain("There is no internet access");
        return {
          kind: "reply",
          toolCalls: [pythonCall("import pandas as pd\nprint(pd.read_csv('sales.csv').amount.sum())")],
        };
      },
    });
    h.fake.enqueue({ kind: "reply", content: "Total: 60." });
    const events: ReplyEvent[] = await h.adapter.send({
      text: "total amount?",
      attachments: [{ name: "sales.csv", data: Buffer.from("region,amount\nn,10\ns,20\nn,30\n") }],
      thread: "tables",
    });
    expect(ofType(events, "code-result")[0]?.run.stdout).toBe("60\n");
  });
});
