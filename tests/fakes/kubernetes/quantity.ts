/**
 * Kubernetes resource quantities ("512Mi", "250m", "1.5", "1G") as numbers of the base unit:
 * bytes for memory, cores for cpu. Exponent forms ("1e3") are left out; the fake refuses them.
 */
const SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

/** The quantity's value, or null when the text is not one. */
export function parseQuantity(text: string | number): number | null {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : null;
  const match = QUANTITY.exec(text);
  if (!match) return null;
  return Number(match[1]) * (SUFFIXES[match[2] ?? ""] ?? 1);
}
