import { describe, expect, it } from "vitest";
import { ConversationQueue } from "../../src/bot/conversation-queue.ts";
import { extractDirectCode } from "../../src/bot/direct-run.ts";
import { authorKeyString, conversationKeyString } from "../../src/bot/incoming-message.ts";

describe("extractDirectCode", () => {
  it.each([
    ["```python\nprint(1)\n```", "print(1)"],
    ["  ```py\nx = 1\ny = 2\n```  ", "x = 1\ny = 2"],
    ["```\nprint(2)\n```", "print(2)"],
    ["```Python3\r\nprint(3)\r\n```", "print(3)"],
  ])("runs %j", (text, code) => {
    expect(extractDirectCode(text)).toBe(code);
  });

  it.each([
    ["plain text", "what is 2+2?"],
    ["text around the block", "please run\n```python\nprint(1)\n```"],
    ["another language", "```js\nconsole.log(1)\n```"],
    ["an empty block", "```python\n\n```"],
  ])("leaves %s to the model", (_label, text) => {
    expect(extractDirectCode(text)).toBeNull();
  });
});

describe("ConversationQueue", () => {
  it("runs one conversation's work in order and others in parallel, surviving failures", async () => {
    const queue = new ConversationQueue();
    const log: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    const a1 = queue.run("a", step("a1", 30, true));
    const a2 = queue.run("a", step("a2", 1));
    const b1 = queue.run("b", step("b1", 1));
    expect(queue.isBusy("a")).toBe(true);
    await expect(a1).rejects.toThrow("a1");
    await Promise.all([a2, b1]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("end b1")).toBeLessThan(log.indexOf("end a1"));
    expect(queue.isBusy("a")).toBe(false);
  });
});

describe("conversationKeyString", () => {
  it("cannot be confused by colons inside parts", () => {
    const a = conversationKeyString({ platform: "slack", workspace: "T:1", channel: "C", thread: "1" });
    const b = conversationKeyString({ platform: "slack", workspace: "T", channel: "1:C", thread: "1" });
    expect(a).not.toBe(b);
  });
});

describe("authorKeyString", () => {
  const from = (platform: string, id: string, thread = "1") => ({
    conversation: { platform, workspace: "W", channel: "C", thread },
    author: { id },
  });

  it("is one person's in every conversation, and distinct across platforms", () => {
    expect(authorKeyString(from("slack", "U1", "1"))).toBe(authorKeyString(from("slack", "U1", "2")));
    expect(authorKeyString(from("slack", "U1"))).toBe("slack:U1");
    expect(authorKeyString(from("slack", "1"))).not.toBe(authorKeyString(from("discord", "1")));
    expect(authorKeyString(from("a:b", "c"))).not.toBe(authorKeyString(from("a", "b:c")));
  });
});
