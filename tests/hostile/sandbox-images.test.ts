/**
 * Pictures the code made are untrusted bytes too: a PNG declaring 100000×100000 pixels or a
 * cut-off one becomes a notice instead of a crash, a huge one is scaled down, and the
 * conversation goes on.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { type BotHarness, createBotHarness, ofType, pythonCall } from "../helpers/bot-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { pngBomb, realPng, truncated } from "./hostile-files.ts";

describe("hostile pictures from the sandbox", () => {
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  let h: BotHarness;

  beforeAll(async () => {
    const cut = truncated(await realPng(640, 480));
    const huge = await realPng(6000, 3000);
    sandbox.script("show_bomb()", () => ({ displays: [{ isResult: false, png: pngBomb() }] }));
    sandbox.script("show_cut()", () => ({ displays: [{ isResult: false, png: cut }] }));
    sandbox.script("show_huge()", () => ({ displays: [{ isResult: false, png: huge }] }));
    sandbox.script("print('still here')", ({ print }) => {
      print("still here\n");
      return {};
    });
    h = await createBotHarness({}, false, { sandbox });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it("tells of a decompression-bomb PNG instead of uploading it, and runs the next message", async () => {
    const events = await h.adapter.send({ text: "```python\nshow_bomb()\n```", thread: "bomb" });
    expect(ofType(events, "image")).toEqual([]);
    expect(ofType(events, "notice").map((e) => e.text)).toEqual([
      "The picture figure-1.png was not shown: it declares 100000×100000 pixels (10,000,000,000), more than the 50,000,000 the bot decodes: it may be a decompression bomb.",
    ]);
    const next = await h.adapter.send({ text: "```python\nprint('still here')\n```", thread: "bomb" });
    expect(ofType(next, "code-result")[0]?.run.stdout).toBe("still here\n");
  });

  it("tells of a cut-off PNG as damaged", async () => {
    const events = await h.adapter.send({ text: "```python\nshow_cut()\n```", thread: "cut" });
    expect(ofType(events, "image")).toEqual([]);
    const [notice] = ofType(events, "notice").map((e) => e.text);
    expect(notice).toMatch(
      /^The picture figure-1\.png was not shown: it cannot be decoded \(.+\): it looks damaged\.$/,
    );
  });

  it("scales a 6000×3000 picture down to 4096 pixels on its longest side", async () => {
    const events = await h.adapter.send({ text: "```python\nshow_huge()\n```", thread: "huge" });
    const [image] = ofType(events, "image");
    expect(image).toMatchObject({ name: "figure-1.png", width: 4096, height: 2048 });
    expect(await sharp(image?.data).metadata()).toMatchObject({ format: "png", width: 4096, height: 2048 });
  });
});

describe("pictures shown to a model that sees images", () => {
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  let h: BotHarness;

  beforeAll(async () => {
    const huge = await realPng(6000, 3000);
    sandbox.script("show_both()", () => ({
      displays: [
        { isResult: false, png: pngBomb() },
        { isResult: false, png: huge },
      ],
    }));
    h = await createBotHarness({ OPENAI_MODEL_SEES_IMAGES: "true" }, true, { sandbox });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it("are the checked ones only, at most 2048 pixels on their longest side", async () => {
    h.fake.enqueue(
      { kind: "reply", toolCalls: [pythonCall("show_both()")] },
      { kind: "reply", content: "Here they are." },
    );
    await h.adapter.send({ text: "draw them", thread: "model" });
    const second = h.fake.requests.at(-1)?.body as { messages: Array<{ role: string; content: unknown }> };
    const parts = second.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])) as Array<{
      type: string;
      image_url?: { url: string };
    }>;
    const images = parts.filter((part) => part.type === "image_url");
    expect(images).toHaveLength(1);
    const data = Buffer.from(
      images[0]?.image_url?.url.replace(/^data:image\/png;base64,/, "") ?? "",
      "base64",
    );
    expect(await sharp(data).metadata()).toMatchObject({ format: "png", width: 2048, height: 1024 });
  });
});
