import { describe, expect, it } from "vitest";
import { splitText, splitTextPieces } from "./split-text.ts";

/** Deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["alpha", "beta", "x", "日本語", "😀", "naïve", "👩‍👩‍👧", "&", "a_b", "longerwordhere", "𝔘𝔫𝔦"];

function randomText(random: () => number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const line = (): string => {
    if (random() < 0.1) return pick(WORDS).repeat(1 + Math.floor(random() * 80)); // no spaces at all
    return Array.from({ length: Math.floor(random() * 30) }, () => pick(WORDS)).join(" ");
  };
  const blocks: string[] = [];
  const count = 1 + Math.floor(random() * 12);
  for (let b = 0; b < count; b++) {
    const lines = Array.from({ length: 1 + Math.floor(random() * 15) }, line);
    if (random() < 0.35) blocks.push(`\`\`\`${pick(["", "python", "js"])}\n${lines.join("\n")}\n\`\`\``);
    else blocks.push(lines.join("\n"));
  }
  return blocks.join(random() < 0.5 ? "\n\n" : "\n");
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const fenceLines = (chunk: string): number => chunk.split("\n").filter((l) => /^[ \t]*```/.test(l)).length;

describe("splitText invariants", () => {
  it("hold for 300 random texts with random code blocks", () => {
    let reopened = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed);
      const text = randomText(random);
      const limit = [30, 64, 100, 257, 1000, 3900][seed % 6] ?? 100;
      const pieces = splitTextPieces(text, limit);
      const chunks = splitText(text, limit);
      const context = `seed ${seed}, limit ${limit}`;

      expect(pieces.map((p) => p.text).join(""), context).toBe(text);
      expect(chunks, context).toEqual(pieces.map((p) => p.reopen + p.text + p.close));
      for (const [i, piece] of pieces.entries()) {
        const chunk = chunks[i] ?? "";
        expect(chunk.length, context).toBeLessThanOrEqual(limit);
        expect(chunk, context).not.toMatch(LONE_SURROGATE);
        expect(fenceLines(chunk) % 2, `${context}: chunk ${i} has unbalanced fences:\n${chunk}`).toBe(0);
        expect(piece.reopen, context).toMatch(/^(?:```(?:python|js)?\n)?$/);
        expect(piece.close, context).toMatch(/^(?:\n?```)?$/);
        expect(piece.text.length, context).toBeGreaterThan(0);
        if (piece.reopen) reopened++;
      }
    }
    // The generator must actually produce code blocks that need splitting.
    expect(reopened).toBeGreaterThan(100);
  });
});

describe("splitText", () => {
  it("returns short text unchanged and nothing for empty text", () => {
    expect(splitText("hello", 10)).toEqual(["hello"]);
    expect(splitText("", 10)).toEqual([]);
  });

  it("prefers paragraph breaks, then line breaks, then spaces, then a hard cut", () => {
    const paragraph = `${"word ".repeat(59)}end.`; // 299 characters
    const byParagraph = splitText([paragraph, paragraph, paragraph, paragraph].join("\n\n"), 700);
    expect(byParagraph).toEqual([`${paragraph}\n\n${paragraph}\n\n`, `${paragraph}\n\n${paragraph}`]);

    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${"x".repeat(40)}`).join("\n");
    for (const chunk of splitText(lines, 120).slice(0, -1)) expect(chunk.endsWith("\n")).toBe(true);

    const words = "lorem ipsum dolor ".repeat(20);
    for (const chunk of splitText(words, 50).slice(0, -1)) expect(chunk.endsWith(" ")).toBe(true);

    expect(splitText("a".repeat(25), 10)).toEqual(["a".repeat(10), "a".repeat(10), "a".repeat(5)]);
  });

  it("breaks before a code block that fits in the next chunk", () => {
    const code = `\`\`\`\n${"print(1)\n".repeat(8)}\`\`\``;
    expect(splitText(`${"intro ".repeat(10)}\n${code}\nafter`, 100)).toEqual([
      `${"intro ".repeat(10)}\n`,
      `${code}\nafter`,
    ]);
  });

  it("does not take an early paragraph break over a late line break", () => {
    const text = `short\n\n${"line of text\n".repeat(20)}`;
    const [first] = splitText(text, 100);
    expect(first?.length).toBeGreaterThan(50);
  });

  it("never splits a surrogate pair", () => {
    const text = "😀".repeat(100);
    const chunks = splitText(text, 7);
    expect(chunks.join("")).toBe(text);
    for (const chunk of chunks) expect(chunk).not.toMatch(LONE_SURROGATE);
    expect(chunks.slice(0, -1).every((chunk) => chunk.length === 6)).toBe(true);
  });

  it("closes a split code block and reopens it with its language", () => {
    const code = Array.from({ length: 30 }, (_, i) => `print(${i})`).join("\n");
    const chunks = splitText(`Here:\n\n\`\`\`python\n${code}\n\`\`\`\n\nDone.`, 120);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]).toMatch(/^Here:\n\n```python\n[\s\S]*\n```$/);
    for (const chunk of chunks.slice(1, -1)) {
      expect(chunk).toMatch(/^```python\n[\s\S]*\n```$/);
    }
    expect(chunks.at(-1)).toMatch(/```\n\nDone\.$/);
  });

  it("splits a code line longer than the limit without losing a character", () => {
    const text = `\`\`\`\n${"y".repeat(100)}\n\`\`\``;
    const pieces = splitTextPieces(text, 40);
    expect(pieces.map((p) => p.text).join("")).toBe(text);
    for (const piece of pieces) {
      const chunk = piece.reopen + piece.text + piece.close;
      expect(chunk.length).toBeLessThanOrEqual(40);
      expect(fenceLines(chunk) % 2).toBe(0);
    }
  });

  it("reopens but does not close a block the input never closes", () => {
    const text = `\`\`\`\n${"z\n".repeat(40)}`;
    const chunks = splitText(text, 30);
    expect(chunks.slice(0, -1).every((c) => c.endsWith("```"))).toBe(true);
    expect(chunks.at(-1)?.startsWith("```\n")).toBe(true);
    expect(chunks.at(-1)?.endsWith("```")).toBe(false);
  });

  it("keeps spans matched by keepTogether whole", () => {
    const text = "a &amp; b &lt;c&gt; ".repeat(30).replaceAll(" ", "");
    const chunks = splitText(text, 23, { keepTogether: /&(?:amp|lt|gt);/g });
    expect(chunks.join("")).toBe(text);
    for (const chunk of chunks) expect(chunk.replace(/&(?:amp|lt|gt);/g, "")).not.toContain("&");
  });

  it("rejects a limit that cannot hold a character", () => {
    expect(() => splitText("abc", 1)).toThrow(RangeError);
    expect(() => splitText("abc", 2.5)).toThrow(RangeError);
  });
});
