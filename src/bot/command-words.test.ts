import { describe, expect, it } from "vitest";
import { looksLikePython, parseCommandWord } from "./command-words.ts";

describe("parseCommandWord", () => {
  it.each([
    ["reset", "reset"],
    [" Files ", "files"],
    ["HELP", "help"],
    ["Usage", "usage"],
  ])("%j is the command %s", (text, command) => expect(parseCommandWord(text)).toBe(command));

  it.each(["reset everything", "", "files?"])("%j is not a command", (text) => {
    expect(parseCommandWord(text)).toBeUndefined();
  });
});

describe("looksLikePython", () => {
  it.each([
    "import pandas as pd",
    "x = 3",
    "print('hi')",
    "2 ** 10",
    "df.describe()",
    "for i in range(3): print(i)",
    "a\nb",
  ])("%j is code", (text) => expect(looksLikePython(text)).toBe(true));
  it.each(["plot a sine wave", "what is the mean of column x?", "summarise the attached file", "help me"])(
    "%j is a question",
    (text) => expect(looksLikePython(text)).toBe(false),
  );
});
