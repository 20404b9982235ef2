/**
 * Issue #11, the model API: rate limits, server errors, a stalled stream, unreadable stream
 * data, a tool call with broken arguments and a connection cut mid-answer. The real Slack
 * adapter (Bolt against the fake Slack), the real `openai` client against the fake OpenAI
 * server, the real Docker sandbox. Each test reads the thread as the person sees it, and then
 * sends the next message, which must be answered with a variable set before the fault.
 *
 * Tested elsewhere, not repeated here (tests/integration/agent.test.ts, "model failures"): a 429
 * with Retry-After is waited out and said; a 500 that persists ends in a clear message; no
 * answer before the headers ends in one too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUT_OFF_NOTE } from "../../src/agent/partial-answer.ts";
import type { FakeStep } from "../fakes/openai/fake-openai-server.ts";
import { lastMessageText, pythonCall } from "../helpers/bot-harness.ts";
import {
  expectSessionSurvives,
  type FaultChat,
  faultSandbox,
  textsSince,
  threadWithVariable,
} from "../helpers/fault-session.ts";
import type { TestSandbox } from "../helpers/sandbox.ts";
import { createSlackHarness, type SlackHarness } from "../helpers/slack-harness.ts";

let sandbox: TestSandbox;
let h: SlackHarness;
let chat: FaultChat;

beforeAll(async () => {
  sandbox = await faultSandbox();
  // Two retries after the first try; the idle timeout at its minimum, so a stall ends in 1 s.
  h = await createSlackHarness({
    env: { OPENAI_MAX_RETRIES: "2", OPENAI_STREAM_IDLE_SECONDS: "1" },
    sandbox: sandbox.manager,
  });
  chat = { driver: h.driver, model: h.bot.fake };
}, 900_000);

afterAll(async () => {
  await h?.close();
  await sandbox?.cleanup();
});

let nextValue = 40;

/**
 * A thread whose session holds `kept`, then one message answered by `steps`: what the person saw
 * after it, and the mark it ended with. The test then checks the session survived.
 */
async function faultInThread(...steps: FakeStep[]) {
  nextValue += 1;
  const value = nextValue;
  const { thread } = await threadWithVariable(chat, value);
  const before = h.driver.view(thread).texts.length;
  const requests = h.bot.fake.requests.length;
  h.bot.fake.enqueue(...steps);
  const outcome = await h.driver.waitForReply(await h.driver.reply(thread, "how is it going?"));
  expect(h.bot.fake.pending()).toBe(0);
  return {
    outcome,
    seen: textsSince(chat, thread, before),
    calls: h.bot.fake.requests.length - requests,
    survives: () => expectSessionSurvives(chat, thread, value),
  };
}

const notice = (text: string) => `:information_source: ${text}`;
const warning = (text: string) => `:warning: ${text}`;
const cutOff = (text: string) => `${text}\n\n${CUT_OFF_NOTE}`;

const BAD_GATEWAY_PAGE =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";
const OVERLOADED = "That model is currently overloaded with other requests. You can retry your request.";

/** The error each status answers with: a gateway's HTML page for 502, as Cloudflare's is, JSON otherwise. */
function serverError(status: 500 | 502 | 503): FakeStep {
  if (status === 502) return { kind: "error", status, html: BAD_GATEWAY_PAGE };
  return { kind: "error", status, ...(status === 503 ? { message: OVERLOADED } : {}) };
}

describe("rate limits", () => {
  it("waits a 429 without Retry-After out with its own short backoff, says so, and answers", async () => {
    const run = await faultInThread({ kind: "error", status: 429 }, { kind: "reply", content: "Made it." });
    expect(run.seen).toEqual([notice("The model API is busy (429); trying again in 1 s."), "Made it."]);
    expect(run.outcome).toBe("done");
    expect(run.calls).toBe(2);
    await run.survives();
  });

  it("ends at once a 429 that asks for longer than the bot waits, saying how long", async () => {
    const run = await faultInThread({ kind: "error", status: 429, retryAfterSeconds: 120 });
    expect(run.seen).toEqual([
      warning(
        'The model API is rate-limiting this bot (429) ("Rate limit reached for requests. Please try again later."). It asks to wait 2 minutes.',
      ),
    ]);
    expect(run.outcome).toBe("failed");
    expect(run.calls).toBe(1);
    await run.survives();
  });
});

describe("server errors", () => {
  it.each([500, 502, 503] as const)("retries a passing %i and answers", async (status) => {
    const run = await faultInThread(serverError(status), {
      kind: "reply",
      content: "Answered on the retry.",
    });
    expect(run.seen).toEqual([
      notice(`The model API failed (${status}); trying again in 1 s.`),
      "Answered on the retry.",
    ]);
    expect(run.outcome).toBe("done");
    await run.survives();
  });

  it.each([
    [502, "The model API failed (502). Try again in a moment."],
    [503, `The model API failed (503) ("${OVERLOADED}"). Try again in a moment.`],
  ] as const)(
    "ends a %i that persists with a plain message, never the gateway's page",
    async (status, said) => {
      const run = await faultInThread(serverError(status), serverError(status), serverError(status));
      const retrying = notice(`The model API failed (${status}); trying again in 1 s.`);
      expect(run.seen).toEqual([retrying, retrying, warning(said)]);
      expect(run.outcome).toBe("failed");
      expect(run.calls).toBe(3);
      await run.survives();
    },
  );
});

describe("broken streams", () => {
  it("closes a stalled answer as cut off and says the model stopped", async () => {
    const run = await faultInThread({ kind: "stall", afterContent: "Let me think about th" });
    expect(run.seen).toEqual([
      cutOff("Let me think about th"),
      warning(
        "The model stopped sending its answer (nothing for 1 s), so the request was abandoned. Try again; if it keeps happening, the model server may be overloaded.",
      ),
    ]);
    expect(run.outcome).toBe("failed");
    await run.survives();
  });

  it("retries after a connection cut mid-answer, keeping the cut-off part apart from the answer", async () => {
    const run = await faultInThread(
      { kind: "disconnect", afterContent: "The answer is" },
      { kind: "reply", content: "The answer is 42." },
    );
    expect(run.seen).toEqual([
      cutOff("The answer is"),
      notice("The model API closed the connection mid-answer; trying again in 1 s."),
      "The answer is 42.",
    ]);
    expect(run.outcome).toBe("done");
    await run.survives();
  });

  it("retries after stream data that is not JSON", async () => {
    const run = await faultInThread(
      { kind: "malformed", afterContent: "Here is", data: '{"id":"chatcmpl-x","choices":[{"delta":' },
      { kind: "reply", content: "Here is the whole answer." },
    );
    expect(run.seen).toEqual([
      cutOff("Here is"),
      notice("The model API sent an answer I could not read; trying again in 1 s."),
      "Here is the whole answer.",
    ]);
    expect(run.outcome).toBe("done");
    await run.survives();
  });

  it("ends stream chunks of the wrong shape, every time, with a message that says so", async () => {
    const odd: FakeStep = {
      kind: "malformed",
      data: JSON.stringify({ id: "chatcmpl-x", object: "chat.completion.chunk", choices: [{ delta: "Hi" }] }),
    };
    const run = await faultInThread(odd, odd, odd);
    const retrying = notice("The model API sent an answer I could not read; trying again in 1 s.");
    expect(run.seen).toEqual([
      retrying,
      retrying,
      warning(
        `The model API sent part of its answer in a form I could not read (a chunk whose delta is not an object), so the request was abandoned. Try again; if it keeps happening, the server at ${h.bot.fake.baseURL} may not be fully OpenAI-compatible.`,
      ),
    ]);
    expect(run.outcome).toBe("failed");
    await run.survives();
  });

  it("retries after OpenAI's mid-stream error event", async () => {
    const error = { message: "The server had an error while processing your request.", type: "server_error" };
    const run = await faultInThread(
      { kind: "malformed", afterContent: "Sure,", data: JSON.stringify({ error }) },
      { kind: "reply", content: "Sure, done." },
    );
    expect(run.seen).toEqual([
      cutOff("Sure,"),
      notice("The model API failed in the middle of its answer; trying again in 1 s."),
      "Sure, done.",
    ]);
    expect(run.outcome).toBe("done");
    await run.survives();
  });
});

describe("a broken tool call", () => {
  it("tells the model its arguments are not JSON; it fixes the call and the person gets the result", async () => {
    let toldModel = "";
    const run = await faultInThread(
      { kind: "reply", toolCalls: [{ name: "python", arguments: '{"code": "print(kept + 1)' }] },
      {
        kind: "custom",
        handle: (request) => {
          toldModel = lastMessageText(request.messages);
          return { kind: "reply", toolCalls: [pythonCall("print(kept + 1)")] };
        },
      },
      {
        kind: "custom",
        handle: (request) => ({ kind: "reply", content: `It printed ${lastMessageText(request.messages)}` }),
      },
    );
    expect(toldModel).toMatch(/^error: The arguments were not valid JSON \(.+\)\. Call the tool again/);
    const seen = run.seen.join("\n");
    expect(seen).toContain("print(kept + 1)");
    expect(seen).toMatch(new RegExp(`\\b${nextValue + 1}\\b`));
    expect(seen).not.toMatch(/:warning:|JSON/);
    expect(run.outcome).toBe("done");
    await run.survives();
  });
});
