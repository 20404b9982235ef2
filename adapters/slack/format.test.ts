import { describe, expect, it } from "vitest";
import { codeBlock, escapeMrkdwn, markdownToMrkdwn, SLACK_TEXT_LIMIT, splitForSlack } from "./format.ts";

const RULE = "─".repeat(20);
const ZWSP = "\u200b";

describe("markdownToMrkdwn", () => {
  it.each([
    // Emphasis
    ["**bold**", "*bold*"],
    ["__bold__", "*bold*"],
    ["*italic*", "_italic_"],
    ["_italic_", "_italic_"],
    ["~~strike~~", "~strike~"],
    ["***both***", "_*both*_"],
    ["**bold with *italic* inside**", "*bold with _italic_ inside*"],
    ["**Note:** read this", "*Note:* read this"],
    ["snake_case_names and __dunder_like__ok", "snake_case_names and __dunder_like__ok"],
    ["call my_func_name() now", "call my_func_name() now"],
    ["2*3*4 = 24 and 2**10 = 1024 and a*b*c", "2*3*4 = 24 and 2**10 = 1024 and a*b*c"],
    ["x * y * z", "x * y * z"],
    ["**unclosed bold", "**unclosed bold"],
    ["~approx 5 and ~6", "~approx 5 and ~6"],
    ["\\*not italic\\*", "*not italic*"],
    // Code
    ["`**x**` stays", "`**x**` stays"],
    ["`a_b_c` and `<tag>`", "`a_b_c` and `&lt;tag&gt;`"],
    ["``code with ` tick``", "``code with ` tick``"],
    ["```inline```", "`inline`"],
    ["```python\nx = 1 if a < b else 2\n```", "```\nx = 1 if a &lt; b else 2\n```"],
    ["~~~\n**not bold**\n~~~", "```\n**not bold**\n```"],
    ["````md\n```js\ncode\n```\n````", `\`\`\`\n\`\`${ZWSP}\`js\ncode\n\`\`${ZWSP}\`\n\`\`\``],
    ["```\nnever closed", "```\nnever closed\n```"],
    ["1. Run:\n   ```bash\n   ls -la\n   ```", "1. Run:\n```\nls -la\n```"],
    // Links and URLs
    ["[docs](https://example.com/docs)", "<https://example.com/docs|docs>"],
    [
      "[Python](https://en.wikipedia.org/wiki/Python_(programming_language))",
      "<https://en.wikipedia.org/wiki/Python_(programming_language)|Python>",
    ],
    ["[q](https://x.com/?a=1&b=2)", "<https://x.com/?a=1&b=2|q>"],
    ["[A & B](https://x.com)", "<https://x.com|A & B>"],
    ["[**bold** link](https://x.com)", "<https://x.com|*bold* link>"],
    ['[titled](https://x.com "The title")', "<https://x.com|titled>"],
    ["[mail me](mailto:a@b.com)", "<mailto:a@b.com|mail me>"],
    ["[file](sandbox:/mnt/data/out.csv)", "file (sandbox:/mnt/data/out.csv)"],
    ["[x](javascript:alert(1))", "x (javascript:alert(1))"],
    ["[relative](./README.md)", "relative (./README.md)"],
    ["![a chart](https://x.com/c.png)", "<https://x.com/c.png|a chart>"],
    ["see https://x.com/a_b_c.", "see https://x.com/a_b_c."],
    ["(https://en.wikipedia.org/wiki/Foo_(bar))", "(https://en.wikipedia.org/wiki/Foo_(bar))"],
    ["**https://x.com**", "*https://x.com*"],
    ["<https://x.com/auto>", "https://x.com/auto"],
    ["[not a link] (here)", "[not a link] (here)"],
    // Blocks
    ["# Title", "*Title*"],
    ["### Third ###", "*Third*"],
    ["###### Six", "*Six*"],
    ["## **Bold** and _it_", "*Bold and _it_*"],
    ["#hashtag", "#hashtag"],
    ["Title\n=====\nbody", "*Title*\nbody"],
    ["- one\n* two\n+ three", "• one\n• two\n• three"],
    ["- top\n  - nested *it*\n    - deeper **b**", "• top\n  • nested _it_\n    • deeper *b*"],
    ["- [ ] todo\n- [x] done", "☐ todo\n☑ done"],
    ["1. first\n2. **second**\n10) tenth", "1. first\n2. *second*\n10) tenth"],
    ["> quoted *text*\n> - item", "> quoted _text_\n> • item"],
    ["> a\n>\n> b", "> a\n>\n> b"],
    ["---", RULE],
    ["***", RULE],
    ["_ _ _", RULE],
    ["a\n\n---\n\nb", `a\n\n${RULE}\n\nb`],
    ["keep\n\n\nblank lines", "keep\n\n\nblank lines"],
    ["  indented text", "  indented text"],
    ["line one\r\nline two", "line one\nline two"],
    ["", ""],
  ])("%j → %j", (markdown, mrkdwn) => {
    expect(markdownToMrkdwn(markdown)).toBe(mrkdwn);
  });

  it("escapes &, < and > in text and in code, but not in the links it makes", () => {
    expect(markdownToMrkdwn("if a < b && c > d")).toBe("if a &lt; b &amp;&amp; c &gt; d");
    expect(markdownToMrkdwn("`a<b>&c`")).toBe("`a&lt;b&gt;&amp;c`");
    expect(markdownToMrkdwn("```\n<html>&amp;\n```")).toBe("```\n&lt;html&gt;&amp;amp;\n```");
    expect(markdownToMrkdwn("[a <b>](https://x.com/?q=<1>|2)")).toBe(
      "<https://x.com/?q=%3C1%3E%7C2|a &lt;b&gt;>",
    );
  });

  it("cannot make Slack mention anyone or link anywhere the Markdown did not", () => {
    expect(markdownToMrkdwn("<!channel> <@U123> <#C1> <https://x.com|evil>")).toBe(
      "&lt;!channel&gt; &lt;@U123&gt; &lt;#C1&gt; https://x.com|evil",
    );
  });

  it("breaks stray triple backticks so Slack does not open a code block", () => {
    expect(markdownToMrkdwn("type ``` to start")).toBe(`type \`\`${ZWSP}\` to start`);
  });

  it("turns a table into an aligned code block", () => {
    const table = [
      "| Name | Score | Note |",
      "|:-----|------:|:----:|",
      "| **Ada** | 9 | `x<y` |",
      "| Bob | 10 | [site](https://b.com) |",
      "| 日本 | 7 | a \\| b |",
    ].join("\n");
    expect(markdownToMrkdwn(`Results:\n\n${table}\n\nDone.`)).toBe(
      [
        "Results:",
        "",
        "```",
        "Name | Score |         Note",
        "-----+-------+---------------------",
        "Ada  |     9 |         x&lt;y",
        "Bob  |    10 | site (https://b.com)",
        "日本 |     7 |        a | b",
        "```",
        "",
        "Done.",
      ].join("\n"),
    );
  });

  it("leaves pipes that are not a table alone", () => {
    expect(markdownToMrkdwn("a | b\nno separator")).toBe("a | b\nno separator");
  });

  it("never throws and escapes everything it does not generate (fuzz)", () => {
    const alphabet = [
      "*",
      "**",
      "_",
      "__",
      "~~",
      "`",
      "```",
      "[",
      "]",
      "(",
      ")",
      "![",
      "<",
      ">",
      "&",
      "#",
      "# ",
      "- ",
      "+ ",
      "1. ",
      "|",
      "|---|",
      ":",
      "\\",
      " ",
      "  ",
      "\n",
      "\n\n",
      "a",
      "b_c",
      "2",
      "😀",
      "\ud800",
      "\udc00",
      "https://x.y/",
      "mailto:a@b.c",
      "<https://q.r>",
      "> ",
      "---",
      "===",
      "\t",
      "\r",
    ];
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 2_000; round++) {
      const length = Math.floor(random() * 60);
      const input = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      // A marker line first: the fallback (plain escaping) would leave it as `**ok**`.
      const output = markdownToMrkdwn(`**ok**\n${input}`);
      expect(output, JSON.stringify(input)).toMatch(/^\*ok\*(?:\n|$)/);
      const leftover = output
        .replace(/<(?:https?:\/\/|mailto:)[^<>]*>/g, "")
        .replace(/^(?:> ?)+/gm, "")
        .replace(/&(?:amp|lt|gt);/g, "");
      expect(leftover, JSON.stringify(input)).not.toMatch(/[<>&]/);
      for (const line of output.split("\n")) {
        if (line.includes("```")) expect(line, JSON.stringify(input)).toMatch(/^(?:> ?)*```$/);
      }
    }
  });
});

describe("escapeMrkdwn", () => {
  it("escapes the three characters Slack reserves, & first", () => {
    expect(escapeMrkdwn("a & <b> &amp;")).toBe("a &amp; &lt;b&gt; &amp;amp;");
  });
});

describe("codeBlock", () => {
  it("wraps escaped code in a block", () => {
    expect(codeBlock("if a < b:\n    print('&')\n", 100)).toBe("```\nif a &lt; b:\n    print('&amp;')\n```");
  });

  it("breaks backticks in the code so they cannot close the block early", () => {
    const block = codeBlock('s = """\n```\n"""', 100) ?? "";
    expect(block).toBe(`\`\`\`\ns = """\n\`\`${ZWSP}\`\n"""\n\`\`\``);
    expect(block.match(/```/g)).toHaveLength(2);
  });

  it("returns null when the block would not fit, counting fences and escapes", () => {
    const code = "x".repeat(92);
    expect(codeBlock(code, 100)).toHaveLength(100);
    expect(codeBlock(`${code}<`, 100)).toBeNull();
    expect(codeBlock("y".repeat(10_000), 2_800)).toBeNull();
  });
});

describe("splitForSlack", () => {
  it("leaves a short message whole and uses Slack's limit by default", () => {
    expect(splitForSlack("hi")).toEqual(["hi"]);
    const long = markdownToMrkdwn(`${"A sentence & more. ".repeat(400)}`);
    const chunks = splitForSlack(long);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(SLACK_TEXT_LIMIT);
    expect(chunks.join("")).toBe(long);
  });

  it("never cuts an entity, a generated link or inline code in half", () => {
    const markdown = Array.from({ length: 200 }, (_, i) =>
      i % 3 === 0 ? `[link ${i}](https://x.com/${i})` : i % 3 === 1 ? "a<b>&c" : "`code span`",
    ).join("");
    const mrkdwn = markdownToMrkdwn(markdown);
    const chunks = splitForSlack(mrkdwn, 100);
    expect(chunks.join("")).toBe(mrkdwn);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(100);
      const rest = chunk
        .replace(/<https:\/\/x\.com\/\d+\|link \d+>/g, "")
        .replace(/&(?:amp|lt|gt);/g, "")
        .replace(/`code span`/g, "");
      expect(rest, chunk).toMatch(/^[abc]*$/);
    }
  });

  it("closes and reopens a converted code block across messages", () => {
    const code = Array.from({ length: 400 }, (_, i) => `print(${i})  # i < ${i + 1}`).join("\n");
    const chunks = splitForSlack(markdownToMrkdwn(`Output:\n\n\`\`\`python\n${code}\n\`\`\``), 1_000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(1_000);
      expect(chunk.match(/^```$/gm)?.length ?? 0).toBe(2);
    }
  });
});
