import { describe, expect, it } from "vitest";
import { defuse, defuseMentions } from "./mentions.ts";

const Z = "\u200b";

describe("defuseMentions", () => {
  it("breaks @everyone, @here, user, role and channel mentions in prose", () => {
    expect(defuseMentions("hi @everyone and @here, <@1> <@!2> <@&3> <#4>")).toBe(
      `hi @${Z}everyone and @${Z}here, <${Z}@1> <${Z}@!2> <${Z}@&3> <${Z}#4>`,
    );
  });

  it("leaves code spans, code blocks (even unclosed) and lookalikes byte-exact", () => {
    const text = "`@everyone` then\n```\nprint('@here <@1>')\n```\n@heresy\n```py\n@everyone";
    expect(defuseMentions(text)).toBe(text);
  });

  it("breaks @everyone inside a word too, where Discord still reads it", () => {
    expect(defuseMentions("me@everyone.com")).toBe(`me@${Z}everyone.com`);
  });

  it("breaks mentions in literal text, where backticks are escaped", () => {
    expect(defuse("\\`@everyone\\`")).toBe(`\\\`@${Z}everyone\\\``);
  });
});
