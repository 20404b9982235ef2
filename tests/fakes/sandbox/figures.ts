/**
 * Real PNG bytes for scripted plots, rendered by sharp at matplotlib's size in the sandbox:
 * a default figure there is 8x5 inches at 100 dpi, 800x500 px (sandbox-image/matplotlibrc).
 * The picture is a plain chart frame with a line or bars: tests assert format and size, and
 * a reader who opens it sees a chart rather than noise.
 */
import sharp from "sharp";

export const DEFAULT_FIGURE = { width: 800, height: 500 } as const;

export interface FigureOptions {
  width?: number;
  height?: number;
  /** The values drawn, e.g. [1, 4, 9]; a rising line when absent. */
  values?: readonly number[];
  kind?: "line" | "bar";
}

export async function renderFigure(options: FigureOptions = {}): Promise<Buffer> {
  const width = options.width ?? DEFAULT_FIGURE.width;
  const height = options.height ?? DEFAULT_FIGURE.height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`a figure needs a positive whole size in pixels, not ${width}x${height}`);
  }
  const svg = chartSvg(width, height, options.values ?? [1, 2, 3], options.kind ?? "line");
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function chartSvg(width: number, height: number, values: readonly number[], kind: "line" | "bar"): string {
  const left = width * 0.125;
  const right = width * 0.9;
  const top = height * 0.12;
  const bottom = height * 0.89;
  // Bars start at zero, as pandas draws them; a line spans its own range, as matplotlib does.
  const low = kind === "bar" ? Math.min(0, ...values) : Math.min(...values);
  const span = Math.max(...values) - low || 1;
  const y = (v: number) => bottom - ((v - low) / span) * (bottom - top);
  let marks: string;
  if (kind === "bar") {
    const slot = (right - left) / Math.max(values.length, 1);
    marks = values
      .map((v, i) => {
        const x = left + i * slot + slot * 0.25;
        return `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(slot * 0.5).toFixed(1)}" height="${(bottom - y(v)).toFixed(1)}" fill="#1f77b4"/>`;
      })
      .join("");
  } else {
    const step = values.length > 1 ? (right - left) / (values.length - 1) : 0;
    const points = values.map((v, i) => `${(left + i * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    marks = `<polyline points="${points}" stroke="#1f77b4" stroke-width="2" fill="none"/>`;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>${marks}` +
    `<path d="M${left} ${top}V${bottom}H${right}" stroke="#333333" fill="none"/>` +
    `</svg>`
  );
}
