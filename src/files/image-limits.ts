/**
 * Images the bot handles itself (a run's pictures, uploaded to a platform and shown to a model
 * that sees images) go through sharp with a pixel limit, so a PNG that declares 100000×100000
 * pixels or a cut-off one is refused with a reason instead of exhausting memory or crashing a
 * reply, and a huge but real picture is scaled down to what the model and platform accept.
 */
import sharp from "sharp";
import { humanSize } from "./human-size.ts";

/** About 7000×7000: far above any chart, far below what would strain the bot's memory. */
export const MAX_INPUT_PIXELS = 50_000_000;
/** Vision models look at most at about this longest side; larger only costs tokens. */
export const MODEL_IMAGE_SIDE = 2048;
/** Big enough for a sharp chart on any screen; keeps uploads well under platform caps. */
export const PLATFORM_IMAGE_SIDE = 4096;

export interface ImageFit {
  /** Longest side, in pixels, after fitting. */
  maxSide: number;
  /** Largest PNG, in bytes, after fitting (a platform's upload cap). */
  maxBytes?: number;
}

export type FittedImage =
  | { ok: true; png: Buffer; width: number; height: number; resized: boolean }
  | { ok: false; reason: string };

/** Decoding has a deadline too: a hostile file must not hold a reply. */
const DECODE_SECONDS = 10;

/** Width and height from the header alone, or why the header cannot be read. */
export async function imageHeader(
  data: Buffer,
): Promise<{ ok: true; width: number; height: number; format: string } | { ok: false; reason: string }> {
  try {
    // Reading metadata does not decode pixels, so a declared size is safe to look at.
    const meta = await sharp(data, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) return { ok: false, reason: "its header gives no size" };
    return { ok: true, width: meta.width, height: meta.height, format: meta.format };
  } catch (error) {
    return { ok: false, reason: `its header cannot be read (${shortError(error)})` };
  }
}

/** Why an image of this size is refused, or null when it is within the pixel limit. */
export function pixelBomb(width: number, height: number): string | null {
  const pixels = width * height;
  if (pixels <= MAX_INPUT_PIXELS) return null;
  return `it declares ${width}×${height} pixels (${pixels.toLocaleString("en-US")}), more than the ${MAX_INPUT_PIXELS.toLocaleString("en-US")} the bot decodes: it may be a decompression bomb`;
}

/**
 * Decodes `data` under the pixel limit and returns a PNG no larger than `fit`; the original
 * bytes when they already fit, so what the code drew is what people get.
 */
export async function fitImage(data: Buffer, fit: ImageFit): Promise<FittedImage> {
  const header = await imageHeader(data);
  if (!header.ok) return header;
  const bomb = pixelBomb(header.width, header.height);
  if (bomb) return { ok: false, reason: bomb };
  let side = Math.min(fit.maxSide, Math.max(header.width, header.height));
  for (let attempt = 0; attempt < 4; attempt += 1) {
    try {
      const { data: png, info } = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS, failOn: "error" })
        .timeout({ seconds: DECODE_SECONDS })
        .resize({ width: side, height: side, fit: "inside", withoutEnlargement: true })
        .png()
        .toBuffer({ resolveWithObject: true });
      const resized = info.width !== header.width || info.height !== header.height;
      const unchanged = !resized && header.format === "png" && fits(data, fit);
      if (unchanged) return { ok: true, png: data, width: info.width, height: info.height, resized: false };
      if (fits(png, fit)) return { ok: true, png, width: info.width, height: info.height, resized };
    } catch (error) {
      return { ok: false, reason: `it cannot be decoded (${shortError(error)}): it looks damaged` };
    }
    side = Math.max(1, Math.floor(side / 2));
  }
  return {
    ok: false,
    reason: `it stays over the ${humanSize(fit.maxBytes ?? 0)} upload limit even when scaled down`,
  };
}

function fits(png: Buffer, fit: ImageFit): boolean {
  return fit.maxBytes === undefined || png.length <= fit.maxBytes;
}

/** libvips messages run to several lines; the first says what went wrong. */
function shortError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? message).trim().slice(0, 160);
}
