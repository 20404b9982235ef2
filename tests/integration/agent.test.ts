import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationKeyString } from "../../src/bot/incoming-message.ts";
import { SHUTDOWN_TEXT } from "../../src/stop-reason.ts";
import {
  type BotHarness,
  createBotHarness,
  lastMessageText,
  ofType,
  pythonCall,
} from "../helpers/bot-harness.ts";
import { waitUntil } from "../helpers/wait-until.ts";

let h: BotHarness;

beforeAll(async () => {
  h = await createBotHarness({ AGENT_MAX_STEPS: "3" });
}, 900_000);

afterAll(async () => {
  await h?.close();
});

describe("the agent", () => {
  it("sees its failing code's traceback, fixes it, and the user gets the working result", async () => {
    h.fake.enqueue(
      {
        kind: "reply",
        content: "Let me add those up.",
        toolCalls: [pythonCall("print(sum(range(10)) + missing)")],
      },
      {
        kind: "custom",
        handle: (request) => {
          const toolResult = lastMessageText(request.messages);
          expect(toolResult).toContain("NameError: name 'missing' is not defined");
          expect(toolResult).toContain("traceback:");
          return { kind: "reply", toolCalls: [pythonCall("print(sum(range(10)))")] };
        },
      },
      {
        kind: "custom",
        handle: (request) => {
          expect(lastMessageText(request.messages)).toContain("stdout:\n45");
          return { kind: "reply", content: "The **sum** is 45." };
        },
      },
    );
    const events = await h.adapter.send({ text: "What is the sum of 0..9?", thread: "fixes" });
    const runs = ofType(events, "code-result").map((e) => e.run);
    expect(runs.map((r) => r.status)).toEqual(["error", "ok"]);
    expect(runs[1]?.stdout).toBe("45\n");
    expect(ofType(events, "text").map((e) => e.text)).toEqual(["Let me add those up.", "The **sum** is 45."]);
    expect(ofType(events, "text-delta").length).toBeGreaterThan(2);
    expect(ofType(events, "status").map((e) => e.status)).toEqual([
      "working",
      "running-code",
      "working",
      "running-code",
      "working",
      "done",
    ]);
    expect(h.fake.pending()).toBe(0);
    const request = h.fake.requests.at(-1);
    expect(request?.stream).toBe(true);
    expect(request?.body.tools).toEqual([
      expect.objectContaining({ function: expect.objectContaining({ name: "python" }) }),
    ]);
  });

  it("splits an image in halves, inverts one, joins them, and returns the new image (the seed example)", async () => {
    const width = 40;
    const height = 20;
    const left = { r: 200, g: 30, b: 10 };
    const right = { r: 10, g: 60, b: 240 };
    const raw = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const c = x < width / 2 ? left : right;
        raw.set([c.r, c.g, c.b], (y * width + x) * 3);
      }
    }
    const png = await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    const code = [
      "from PIL import Image, ImageOps",
      "img = Image.open('/mnt/data/photo.png').convert('RGB')",
      "w, h = img.size",
      "left, right = img.crop((0, 0, w // 2, h)), img.crop((w // 2, 0, w, h))",
      "out = Image.new('RGB', (w, h))",
      "out.paste(left, (0, 0))",
      "out.paste(ImageOps.invert(right), (w // 2, 0))",
      "out.save('/mnt/data/photo_inverted_half.png')",
      "print(out.size)",
    ].join("\n");
    h.fake.enqueue(
      {
        kind: "custom",
        handle: (request) => {
          const system = String(request.messages[0]?.content);
          expect(system).toContain("/mnt/data/photo.png");
          return { kind: "reply", toolCalls: [pythonCall(code)] };
        },
      },
      { kind: "reply", content: "Done: the right half is inverted." },
    );
    const events = await h.adapter.send({
      text: "split this image into two halves, invert the colours of one, put them back together",
      attachments: [{ name: "photo.png", data: png, mimeType: "image/png" }],
      thread: "seed",
    });
    const files = ofType(events, "file");
    expect(files.map((f) => f.name)).toEqual(["photo_inverted_half.png"]);
    const { data, info } = await sharp(files[0]?.data).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([width, height]);
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * width + x) * info.channels, (y * width + x) * info.channels + 3),
    ];
    expect(pixel(5, 10)).toEqual([left.r, left.g, left.b]);
    expect(pixel(35, 10)).toEqual([255 - right.r, 255 - right.g, 255 - right.b]);
    expect(ofType(events, "text").at(-1)?.text).toBe("Done: the right half is inverted.");
  });

  it("delivers the images and files the code produces, byte-identical", async () => {
    const csv = "month,revenue\\n1,10\\n2,30\\n";
    h.fake.enqueue(
      {
        kind: "reply",
        toolCalls: [
          pythonCall(
            `open('/mnt/data/revenue.csv', 'w').write("${csv}")\n` +
              "import matplotlib.pyplot as plt\nplt.plot([1, 2], [10, 30])\nplt.title('revenue')",
          ),
        ],
      },
      { kind: "reply", content: "Here is the chart and the data." },
    );
    const events = await h.adapter.send({ text: "chart revenue", thread: "outputs" });
    const images = ofType(events, "image");
    expect(images).toHaveLength(1);
    expect(await sharp(images[0]?.data).metadata()).toMatchObject({ format: "png", width: 800, height: 500 });
    expect(images[0]).toMatchObject({ width: 800, height: 500 });
    const file = ofType(events, "file")[0];
    expect(file).toMatchObject({ name: "revenue.csv", mime: "text/csv" });
    expect(file?.data.toString()).toBe("month,revenue\n1,10\n2,30\n");
  });

  it("keeps state across messages, and the history across a restart of the bot", async () => {
    h.fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall("x = 21")] },
      { kind: "reply", content: "Stored x." },
    );
    await h.adapter.send({ text: "remember x = 21", thread: "memory" });
    h.fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall("print(x * 2)")] },
      { kind: "reply", content: "x doubled is 42." },
    );
    const second = await h.adapter.send({ text: "double x", thread: "memory" });
    expect(ofType(second, "code-result")[0]?.run.stdout).toBe("42\n");

    await h.restart();
    h.fake.enqueue({
      kind: "custom",
      handle: (request) => {
        const texts = request.messages.map((m) => String(m.content));
        expect(texts).toContain("remember x = 21");
        expect(texts).toContain("double x");
        expect(texts).toContain("x doubled is 42.");
        return { kind: "reply", toolCalls: [pythonCall("print(x + 1)")] };
      },
    });
    h.fake.enqueue({ kind: "reply", content: "22." });
    const third = await h.adapter.send({ text: "and x plus one?", thread: "memory" });
    expect(ofType(third, "code-result")[0]?.run.stdout).toBe("22\n");
  });

  it("sends malformed tool arguments back to the model as an error", async () => {
    h.fake.enqueue(
      { kind: "reply", toolCalls: [{ name: "python", arguments: "{code: print(1)" }] },
      {
        kind: "custom",
        handle: (request) => {
          expect(request.messages.at(-1)?.role).toBe("tool");
          expect(lastMessageText(request.messages)).toMatch(/not valid JSON/);
          return { kind: "reply", toolCalls: [pythonCall("print(1)")] };
        },
      },
      { kind: "reply", content: "It printed 1." },
    );
    const events = await h.adapter.send({ text: "print one", thread: "malformed" });
    expect(ofType(events, "code-result").map((e) => e.run.stdout)).toEqual(["1\n"]);
    expect(ofType(events, "status").at(-1)?.status).toBe("done");
  });

  it("ends with an honest message at the step limit", async () => {
    h.fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall("1")] },
      { kind: "reply", toolCalls: [pythonCall("2")] },
      { kind: "reply", toolCalls: [pythonCall("3")] },
    );
    const events = await h.adapter.send({ text: "loop forever", thread: "steps" });
    expect(ofType(events, "code-result")).toHaveLength(3);
    expect(ofType(events, "notice").at(-1)?.text).toMatch(
      /stopped after 3 steps without reaching a final answer/,
    );
    expect(h.fake.pending()).toBe(0);
  });
});

describe("cancelling and images", () => {
  it("stops the model call at once when the request is cancelled", async () => {
    h.fake.enqueue({ kind: "stall", afterContent: "Thinking" });
    const before = h.fake.requests.length;
    const pending = h.adapter.send({ text: "think hard", thread: "cancel-model" });
    while (h.fake.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    expect(
      h.bot.cancel({ platform: "memory", workspace: "local", channel: "general", thread: "cancel-model" }),
    ).toBe(true);
    const events = await pending;
    // Well under the 1 s stream idle timeout: the cancel itself ended the call.
    expect(Date.now() - started).toBeLessThan(500);
    expect(ofType(events, "notice").at(-1)?.text).toBe("The request was cancelled.");
  });

  it("tells a request the bot's shutdown stopped to send it again, and keeps that in the history", async () => {
    h.fake.enqueue({ kind: "stall", afterContent: "Thinking" });
    const before = h.fake.requests.length;
    const pending = h.adapter.send({ text: "think hard", thread: "shutdown-model" });
    await waitUntil("the model call", () => h.fake.requests.length > before);
    await h.bot.stop(0);
    const events = await pending;
    expect(ofType(events, "notice").at(-1)?.text).toBe(SHUTDOWN_TEXT);
    expect(ofType(events, "status").at(-1)?.status).toBe("failed");
    const conversation = {
      platform: "memory",
      workspace: "local",
      channel: "general",
      thread: "shutdown-model",
    };
    const history = await h.store.listMessages(conversationKeyString(conversation));
    expect(history.at(-1)?.message.content).toBe(SHUTDOWN_TEXT);
    await h.restart();
  });

  it("says the same under a run of the person's own code that the shutdown cut short", async () => {
    const thread = "shutdown-direct";
    const conversation = { platform: "memory", workspace: "local", channel: "general", thread };
    const code = "open('/mnt/data/started.txt', 'w').write('x')\nimport time\ntime.sleep(120)";
    const pending = h.adapter.send({ text: `\`\`\`python\n${code}\n\`\`\``, thread });
    await waitUntil("the run to start", async () =>
      (await h.bot.listFiles(conversation)).some((file) => file.path === "started.txt"),
    );
    await h.bot.stop(0);
    const events = await pending;
    expect(ofType(events, "code-result").at(-1)?.run.status).toBe("cancelled");
    expect(ofType(events, "notice").at(-1)?.text).toBe(SHUTDOWN_TEXT);
    expect(ofType(events, "status").at(-1)?.status).toBe("failed");
    const history = await h.store.listMessages(conversationKeyString(conversation));
    expect(history.at(-1)?.message.content).toContain(SHUTDOWN_TEXT);
    await h.restart();
  });

  it("shows a model that accepts images the charts its code made", async () => {
    const seeing = await createBotHarness({ OPENAI_MODEL_SEES_IMAGES: "true" });
    try {
      seeing.fake.enqueue(
        { kind: "reply", toolCalls: [pythonCall("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])")] },
        {
          kind: "custom",
          handle: (request) => {
            const last = request.messages.at(-1);
            expect(last?.role).toBe("user");
            const parts = last?.content as Array<{ type: string; image_url?: { url: string } }>;
            expect(parts.map((p) => p.type)).toEqual(["text", "image_url"]);
            expect(parts[1]?.image_url?.url.startsWith("data:image/png;base64,iVBOR")).toBe(true);
            return { kind: "reply", content: "The line rises." };
          },
        },
      );
      const events = await seeing.adapter.send({ text: "plot and describe" });
      expect(ofType(events, "text").at(-1)?.text).toBe("The line rises.");
      expect(seeing.fake.pending()).toBe(0);
    } finally {
      await seeing.close();
    }
  });
});

describe("model failures", () => {
  it("retries a 429 after its Retry-After and tells the user it is waiting", async () => {
    h.fake.enqueue(
      { kind: "error", status: 429, message: "Rate limit reached", retryAfterSeconds: 1 },
      { kind: "reply", content: "Made it." },
    );
    const before = h.fake.requests.length;
    const started = Date.now();
    const events = await h.adapter.send({ text: "hello", thread: "rate-limit" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(h.fake.requests.length - before).toBe(2);
    expect(ofType(events, "notice")[0]?.text).toMatch(/busy \(429\); trying again in 1 s/);
    expect(ofType(events, "text").at(-1)?.text).toBe("Made it.");
  });

  it("ends a persistent 500 with a clear message", async () => {
    h.fake.enqueue(
      { kind: "error", status: 500, message: "upstream exploded" },
      { kind: "error", status: 500, message: "upstream exploded" },
      { kind: "error", status: 500, message: "upstream exploded" },
    );
    const events = await h.adapter.send({ text: "hello", thread: "server-error" });
    expect(ofType(events, "error")[0]).toMatchObject({ code: "model_server_error" });
    expect(ofType(events, "error")[0]?.text).toMatch(/The model API failed \(500\).*Try again/);
    expect(ofType(events, "status").at(-1)?.status).toBe("failed");
    expect(h.fake.pending()).toBe(0);
  });

  it("gives up on a stalled stream with a clear message", async () => {
    h.fake.enqueue({ kind: "stall", afterContent: "Let me think" });
    const events = await h.adapter.send({ text: "hello", thread: "stall" });
    expect(
      ofType(events, "text-delta")
        .map((e) => e.text)
        .join(""),
    ).toBe("Let me think");
    expect(ofType(events, "error")[0]).toMatchObject({ code: "model_stalled" });
    expect(ofType(events, "error")[0]?.text).toMatch(/stopped sending its answer \(nothing for 1 s\)/);
  });

  it("gives up when the model API does not answer in time", async () => {
    h.fake.enqueue({ kind: "stall", beforeHeaders: true });
    const events = await h.adapter.send({ text: "hello", thread: "timeout" });
    expect(ofType(events, "error")[0]).toMatchObject({ code: "model_timeout" });
    expect(ofType(events, "error")[0]?.text).toMatch(/did not answer within 3 s/);
  });

  it("explains a wrong API key", async () => {
    const wrongKey = await createBotHarness({ OPENAI_API_KEY: "sk-wrong" });
    try {
      const events = await wrongKey.adapter.send({ text: "hello" });
      expect(ofType(events, "error")[0]?.text).toMatch(/refused the API key \(401\)\. Check OPENAI_API_KEY/);
    } finally {
      await wrongKey.close();
    }
  });
});
