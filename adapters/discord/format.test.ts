import { describe, expect, it } from "vitest";
import { DISCORD_TEXT_LIMIT, discordCodeBlock, escapeDiscord, splitForDiscord } from "./format.ts";

describe("Discord text", () => {
  it("splits a long answer at 2,000 characters, losing nothing and keeping code blocks whole", () => {
    const code = Array.from({ length: 120 }, (_, i) => `print(${i})`).join("\n");
    const text = `${"Intro. ".repeat(300)}\n\n\`\`\`py\n${code}\n\`\`\`\nDone.`;
    const parts = splitForDiscord(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(DISCORD_TEXT_LIMIT);
      expect((part.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(parts.join("").replace(/```py\n|\n?```/g, "")).toBe(text.replace(/```py\n|\n?```/g, ""));
  });

  it("shows code in a block its own backticks cannot close", () => {
    expect(discordCodeBlock("print('```')\n\n", 100, "python")).toBe("```py\nprint('``\u200b`')\n```");
    expect(discordCodeBlock("x = 1", 100)).toBe("```\nx = 1\n```");
    expect(discordCodeBlock("x".repeat(200), 100)).toBeNull();
  });

  it("escapes Markdown in literal text", () => {
    expect(escapeDiscord("my_file*name.csv")).toBe("my\\_file\\*name.csv");
  });
});
