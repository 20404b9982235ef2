import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { fitImage, MODEL_IMAGE_SIDE } from "../../src/files/image-limits.ts";
import { pngBomb, realPng, truncated } from "./hostile-files.ts";

describe("fitImage", () => {
  it("refuses a PNG that declares 100000×100000 pixels without decoding it", async () => {
    const started = Date.now();
    const fitted = await fitImage(pngBomb(), { maxSide: MODEL_IMAGE_SIDE });
    expect(fitted).toEqual({
      ok: false,
      reason:
        "it declares 100000×100000 pixels (10,000,000,000), more than the 50,000,000 the bot decodes: it may be a decompression bomb",
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses a cut-off PNG as damaged", async () => {
    const fitted = await fitImage(truncated(await realPng(800, 600)), { maxSide: MODEL_IMAGE_SIDE });
    expect(fitted.ok).toBe(false);
    if (!fitted.ok) expect(fitted.reason).toMatch(/^it cannot be decoded \(.+\): it looks damaged$/);
  });

  it("refuses bytes that are no image at all", async () => {
    const fitted = await fitImage(Buffer.from("<html>not a picture</html>"), { maxSide: MODEL_IMAGE_SIDE });
    expect(fitted.ok).toBe(false);
    if (!fitted.ok) expect(fitted.reason).toMatch(/^its header cannot be read/);
  });

  it("scales a large picture down to the longest side, keeping its shape", async () => {
    const fitted = await fitImage(await realPng(6000, 3000), { maxSide: MODEL_IMAGE_SIDE });
    expect(fitted).toMatchObject({ ok: true, width: 2048, height: 1024, resized: true });
    if (fitted.ok) {
      expect(await sharp(fitted.png).metadata()).toMatchObject({ format: "png", width: 2048, height: 1024 });
    }
  });

  it("keeps a picture that already fits byte for byte", async () => {
    const png = await realPng(300, 100);
    const fitted = await fitImage(png, { maxSide: MODEL_IMAGE_SIDE });
    expect(fitted.ok && fitted.png === png).toBe(true);
  });

  it("scales further down to stay under an upload cap in bytes", async () => {
    const noise = randomBytes(1500 * 1500 * 3);
    const png = await sharp(noise, { raw: { width: 1500, height: 1500, channels: 3 } })
      .png()
      .toBuffer();
    const fitted = await fitImage(png, { maxSide: 4096, maxBytes: 1024 * 1024 });
    expect(fitted.ok).toBe(true);
    if (fitted.ok) {
      expect(fitted.png.length).toBeLessThanOrEqual(1024 * 1024);
      expect(fitted.width).toBeLessThan(1500);
    }
  });
});
