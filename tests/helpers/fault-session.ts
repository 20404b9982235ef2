/**
 * The before and after of a fault, in a person's terms, for any platform's driver: a thread
 * whose sandbox holds a variable, then (after the fault) a next message that the model answers
 * with code reading that variable. The answer arriving proves the conversation works; the
 * variable's value in it proves the session survived the fault.
 */
import { expect } from "vitest";
import type { ContractDriver, SentMessage } from "../contract/adapter-contract.ts";
import type { FakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { lastMessageText, pythonCall } from "./bot-harness.ts";
import { createTestSandbox, type TestSandbox } from "./sandbox.ts";

export interface FaultChat {
  driver: ContractDriver;
  model: FakeOpenAI;
}

/** A new thread whose session has `kept = value`, set by a ```python block the bot runs as written. */
export async function threadWithVariable(chat: FaultChat, value: number): Promise<SentMessage> {
  const sent = await chat.driver.startThread(`\`\`\`python\nkept = ${value}\nprint("kept", kept)\n\`\`\``);
  expect(await chat.driver.waitForReply(sent)).toBe("done");
  // Matched this way so that a failure shows the whole thread, not its first 40 characters.
  expect(chat.driver.view(sent.thread).texts).toEqual(
    expect.arrayContaining([expect.stringContaining(`kept ${value}`)]),
  );
  return sent;
}

/**
 * Scripts the model's answer to the next message: code that doubles `kept`, then an answer
 * quoting what the sandbox printed (so a lost session would show as a NameError, not 2x).
 */
export function scriptRecall(model: FakeOpenAI, value: number): void {
  model.enqueue(
    { kind: "reply", toolCalls: [pythonCall("print(kept * 2)")] },
    {
      kind: "custom",
      handle: (request) => {
        const printed = lastMessageText(request.messages);
        return {
          kind: "reply",
          content: printed.includes(`${value * 2}`) ? `Twice kept is ${value * 2}.` : printed,
        };
      },
    },
  );
}

/** The next message in `thread` is answered, with the variable set before the fault. */
export async function expectSessionSurvives(chat: FaultChat, thread: string, value: number): Promise<void> {
  scriptRecall(chat.model, value);
  const next = await chat.driver.reply(thread, "what is twice kept?");
  expect(await chat.driver.waitForReply(next)).toBe("done");
  expect(chat.driver.view(thread).texts.at(-1)).toBe(`Twice kept is ${value * 2}.`);
  expect(chat.model.pending()).toBe(0);
}

/** The thread's messages from index `from` on: what the person saw since then. */
export function textsSince(chat: FaultChat, thread: string, from: number): string[] {
  return chat.driver.view(thread).texts.slice(from);
}

/** The fault tests' name for waiting on a state: see wait-until.ts. */
export { waitUntil as until } from "./wait-until.ts";

/**
 * The real Docker sandbox with the test limits, but a run may take 30 s rather than 4: these
 * faults are in the platforms and the model, and a one-line run slowed past 4 s by a loaded
 * machine must not end a test about something else. The harness given its manager shuts it
 * down; `cleanup` then removes its containers.
 */
export function faultSandbox(): Promise<TestSandbox> {
  return createTestSandbox({ executionTimeoutMs: 30_000 });
}

/** A promise a test resolves by hand: a fake's step held until the test has broken something. */
export function gate(): { until: Promise<void>; open: () => void } {
  let open = () => {};
  const until = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { until, open };
}
