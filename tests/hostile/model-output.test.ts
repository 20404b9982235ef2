/**
 * A model that misbehaves (steered by hostile input, or looping): megabytes of "code", a tool
 * that does not exist, hundreds of calls in one answer. The real `openai` client streams it
 * from the fake server; the scripted sandbox shows what actually ran. Each is refused with a
 * message the model can act on and a notice the person can read, and the next message works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationKeyString } from "../../src/bot/incoming-message.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import {
  type BotHarness,
  createBotHarness,
  lastMessageText,
  ofType,
  pythonCall,
} from "../helpers/bot-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";

const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
sandbox.script(/^print\((\d+)\)$/, ({ match }) => ({ stdout: `${match?.[1]}\n` }));
let h: BotHarness;

beforeAll(async () => {
  h = await createBotHarness({ AGENT_MAX_STEPS: "4" }, true, { sandbox });
});

afterAll(async () => {
  await h?.close();
});

function toolMessages(messages: ReadonlyArray<Readonly<Record<string, unknown>>>): string[] {
  return messages.filter((m) => m.role === "tool").map((m) => String(m.content));
}

async function nextMessageWorks(thread: string): Promise<void> {
  h.fake.enqueue(
    { kind: "reply", toolCalls: [pythonCall("print(7)")] },
    { kind: "reply", content: "It is 7." },
  );
  const events = await h.adapter.send({ text: "and now print 7", thread });
  expect(ofType(events, "code-result").map((e) => e.run.stdout)).toEqual(["7\n"]);
  expect(ofType(events, "text").at(-1)?.text).toBe("It is 7.");
}

describe("hostile model output", () => {
  it("refuses a 10 MB tool argument without running or storing it, and says so", async () => {
    const huge = JSON.stringify({ code: `x = "${"a".repeat(10 * 1024 * 1024)}"` });
    h.fake.enqueue(
      { kind: "reply", toolCalls: [{ id: "big", name: "python", arguments: huge }], chunkSize: 256 * 1024 },
      { kind: "reply", content: "Sorry, that was too much code." },
    );
    const before = sandbox.runs().length;
    const events = await h.adapter.send({ text: "make a huge string", thread: "huge" });
    expect(ofType(events, "notice").map((e) => e.text)).toEqual([
      `The model sent ${huge.length.toLocaleString("en-US")} characters of code in one call (the limit is 100,000); it was not run, and the model was asked for shorter code.`,
    ]);
    expect(ofType(events, "code")).toEqual([]);
    expect(sandbox.runs().length).toBe(before);
    expect(ofType(events, "text").at(-1)?.text).toBe("Sorry, that was too much code.");
    // The model is told why, and is not sent its 10 MB back.
    const followUp = h.fake.requests.at(-1);
    expect(lastMessageText(followUp?.messages ?? [])).toBe(
      `error: Nothing ran: the call's arguments were ${huge.length.toLocaleString("en-US")} characters long, and the most I accept is 100,000. Send shorter code: generate large data in a loop or read it from a file in /mnt/data instead of writing it out.`,
    );
    expect(JSON.stringify(followUp?.body).length).toBeLessThan(20_000);
    // History keeps a short record that says it was cut.
    const key = conversationKeyString({
      platform: "memory",
      workspace: "local",
      channel: "general",
      thread: "huge",
    });
    const stored = (await h.store.listMessages(key)).map((m) => m.message);
    const call = stored.flatMap((m) => (m.role === "assistant" ? (m.toolCalls ?? []) : []))[0];
    expect(call?.arguments.length).toBeLessThan(1_100);
    expect(call?.arguments).toContain(
      `[cut by the bot: ${huge.length.toLocaleString("en-US")} characters in all]`,
    );
    await nextMessageWorks("huge");
  });

  it("tells the model a tool it called does not exist", async () => {
    h.fake.enqueue(
      {
        kind: "reply",
        toolCalls: [{ id: "web", name: "browser", arguments: '{"url": "https://example.com"}' }],
      },
      { kind: "reply", content: "I can only run Python." },
    );
    const events = await h.adapter.send({ text: "browse example.com", thread: "unknown" });
    expect(ofType(events, "code")).toEqual([]);
    expect(lastMessageText(h.fake.requests.at(-1)?.messages ?? [])).toBe(
      'error: There is no tool called "browser". The only tool is "python".',
    );
    expect(ofType(events, "text").at(-1)?.text).toBe("I can only run Python.");
    await nextMessageWorks("unknown");
  });

  it("runs the first 10 of 300 calls in one answer and tells the model and the person about the rest", async () => {
    const calls = Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`, ...pythonCall(`print(${i})`) }));
    h.fake.enqueue({ kind: "reply", toolCalls: calls, chunkSize: 4096 }, { kind: "reply", content: "Done." });
    const before = sandbox.runs().length;
    const events = await h.adapter.send({ text: "print 0 to 299, one call each", thread: "many" });
    expect(sandbox.runs().length - before).toBe(10);
    expect(ofType(events, "code-result").map((e) => e.run.stdout)).toEqual(
      Array.from({ length: 10 }, (_, i) => `${i}\n`),
    );
    expect(ofType(events, "notice").map((e) => e.text)).toEqual([
      "The model asked to run 300 pieces of code at once; I ran the first 10 (the limit per answer) and told it the other 290 were not run.",
    ]);
    const results = toolMessages(h.fake.requests.at(-1)?.messages ?? []);
    expect(results).toHaveLength(300);
    expect(results[9]).toContain("stdout:\n9");
    expect(new Set(results.slice(10))).toEqual(
      new Set([
        "error: Not run: you sent 300 tool calls in one answer and I run at most 10 per answer. If this one is still needed, call it again in your next answer.",
      ]),
    );
    expect(ofType(events, "text").at(-1)?.text).toBe("Done.");
    await nextMessageWorks("many");
  });
});
