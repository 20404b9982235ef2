/**
 * Drives the real `openai` client over real HTTP against the fake, so that the fake is
 * checked against the SDK's own parsing, retry and abort logic rather than our reading of it.
 */
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "./fake-openai-server.ts";

const MODEL = "gpt-fake-1";
const MESSAGES: ChatCompletionMessageParam[] = [{ role: "user", content: "Plot y = x^2" }];
const RUN_PYTHON = {
  type: "function" as const,
  function: { name: "run_python", parameters: { type: "object", properties: { code: { type: "string" } } } },
};

let fake: FakeOpenAI;

beforeEach(async () => {
  fake = await startFakeOpenAI();
});

afterEach(async () => {
  await fake.close();
});

function clientFor(server: FakeOpenAI, options: { maxRetries?: number; apiKey?: string } = {}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? server.apiKey,
    baseURL: server.baseURL,
    maxRetries: options.maxRetries ?? 0,
    timeout: 2_000,
  });
}

/** What an app does with a stream: append content, and rebuild tool calls by `index`. */
function accumulate(chunks: ChatCompletionChunk[]) {
  let content = "";
  let finishReason: string | null = null;
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const chunk of chunks) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta.content ?? "";
    finishReason = choice.finish_reason ?? finishReason;
    for (const delta of choice.delta.tool_calls ?? []) {
      const call = calls[delta.index] ?? { id: "", name: "", arguments: "" };
      calls[delta.index] = call;
      call.id += delta.id ?? "";
      call.name += delta.function?.name ?? "";
      call.arguments += delta.function?.arguments ?? "";
    }
  }
  return { content, finishReason, calls };
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("fake OpenAI server, streaming", () => {
  it("streams text in several chunks that reassemble, echoing the model", async () => {
    const text = "Here is your plot of y = x squared.";
    fake.enqueue({ kind: "reply", content: text, chunkSize: 5 });

    const stream = await clientFor(fake).chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
      stream: true,
    });
    const chunks = await collect(stream);
    const result = accumulate(chunks);

    expect(result.content).toBe(text);
    expect(result.finishReason).toBe("stop");
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBe(Math.ceil(text.length / 5));
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set(["chatcmpl-fake-1"]));
    expect(chunks.every((chunk) => chunk.model === MODEL && chunk.object === "chat.completion.chunk")).toBe(
      true,
    );
    expect(fake.requests[0]?.body.stream).toBe(true);
    expect(fake.requests[0]?.messages).toEqual(MESSAGES);
    expect(fake.pending()).toBe(0);
  });

  it("streams a tool call as an opening delta then argument fragments, with usage last", async () => {
    const args = JSON.stringify({ code: "import math\nprint(math.pi)" });
    fake.enqueue({ kind: "reply", toolCalls: [{ name: "run_python", arguments: args }], chunkSize: 6 });

    const stream = await clientFor(fake).chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
      tools: [RUN_PYTHON],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    const result = accumulate(chunks);

    expect(result.calls).toEqual([{ id: "call_fake_1", name: "run_python", arguments: args }]);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.content).toBe("");
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas[0]).toEqual({
      index: 0,
      id: "call_fake_1",
      type: "function",
      function: { name: "run_python", arguments: "" },
    });
    expect(toolDeltas.slice(1).every((delta) => Object.keys(delta).sort().join() === "function,index")).toBe(
      true,
    );
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.total_tokens).toBeGreaterThan(0);
    expect(fake.requests[0]?.body.tools).toEqual([RUN_PYTHON]);
  });

  it("feeds the SDK's own accumulator: stream().finalChatCompletion()", async () => {
    fake.enqueue({
      kind: "reply",
      content: "Running it now.",
      toolCalls: [
        { name: "run_python", arguments: '{"code":"print(1)"}' },
        { id: "call_given", name: "run_python", arguments: '{"code":"print(2)"}' },
      ],
      chunkSize: 3,
    });

    const stream = clientFor(fake).chat.completions.stream({
      model: MODEL,
      messages: MESSAGES,
      tools: [RUN_PYTHON],
    });
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];

    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBe("Running it now.");
    expect(choice?.message.tool_calls).toEqual([
      {
        id: "call_fake_1",
        type: "function",
        function: { name: "run_python", arguments: '{"code":"print(1)"}' },
      },
      {
        id: "call_given",
        type: "function",
        function: { name: "run_python", arguments: '{"code":"print(2)"}' },
      },
    ]);
  });
});

describe("fake OpenAI server, non-streaming and scripting", () => {
  it("answers a non-streaming request with tool calls, null content and usage", async () => {
    fake.enqueue({ kind: "reply", toolCalls: [{ name: "run_python", arguments: '{"code":"1+1"}' }] });

    const completion = await clientFor(fake).chat.completions.create({ model: MODEL, messages: MESSAGES });

    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe(MODEL);
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]?.message).toMatchObject({
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: "call_fake_1",
          type: "function",
          function: { name: "run_python", arguments: '{"code":"1+1"}' },
        },
      ],
    });
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("lets a custom step answer from the request, e.g. the last tool result", async () => {
    fake.enqueue({
      kind: "custom",
      handle: (request) => {
        const last = request.messages.at(-1);
        const failed = last?.role === "tool" && String(last.content).includes("NameError");
        return { kind: "reply", content: failed ? "I forgot to import math; fixed." : "Done." };
      },
    });
    const messages: ChatCompletionMessageParam[] = [
      ...MESSAGES,
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "run_python", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "NameError: name 'math' is not defined" },
    ];

    const completion = await clientFor(fake).chat.completions.create({ model: MODEL, messages });

    expect(completion.choices[0]?.message.content).toBe("I forgot to import math; fixed.");
    expect(fake.requests[0]?.answeredWith).toEqual({
      kind: "reply",
      content: "I forgot to import math; fixed.",
    });
  });

  it("lists the models it has seen", async () => {
    fake.enqueue({ kind: "reply", content: "hi" });
    await clientFor(fake).chat.completions.create({ model: MODEL, messages: MESSAGES });

    const models = await clientFor(fake).models.list();

    expect(models.data.map((model) => model.id)).toEqual([MODEL]);
  });
});

describe("fake OpenAI server, failures", () => {
  it("sends retry-after so the SDK waits and retries a 429, then succeeds", async () => {
    fake.enqueue({ kind: "error", status: 429, retryAfterSeconds: 1 }, { kind: "reply", content: "finally" });
    const started = Date.now();

    const completion = await clientFor(fake, { maxRetries: 1 }).chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
    });

    expect(completion.choices[0]?.message.content).toBe("finally");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.map((request) => request.headers["x-stainless-retry-count"])).toEqual(["0", "1"]);
    expect(fake.pending()).toBe(0);
  });

  it("surfaces a 500 as InternalServerError when retries are off", async () => {
    fake.enqueue({ kind: "error", status: 500 });

    const failure = clientFor(fake).chat.completions.create({ model: MODEL, messages: MESSAGES });

    await expect(failure).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(failure).rejects.toMatchObject({ status: 500, type: "server_error" });
  });

  it("refuses a wrong API key with AuthenticationError and keeps the script", async () => {
    fake.enqueue({ kind: "reply", content: "never sent" });

    const failure = clientFor(fake, { apiKey: "sk-wrong" }).chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
    });

    await expect(failure).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(failure).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    expect(fake.pending()).toBe(1);
  });

  it("fails loudly, without SDK retries, when nothing is scripted", async () => {
    const failure = clientFor(fake, { maxRetries: 2 }).chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
    });

    await expect(failure).rejects.toThrow(/no scripted response for request #1/);
    await expect(failure).rejects.toMatchObject({ status: 500 });
    expect(fake.requests).toHaveLength(1);
  });

  it("drops the connection on a disconnect step", async () => {
    fake.enqueue({ kind: "disconnect" });

    const failure = clientFor(fake).chat.completions.create({ model: MODEL, messages: MESSAGES });

    await expect(failure).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  });
});

describe("fake OpenAI server, stalls", () => {
  it("stalls a stream after some content; an abort ends the iteration quietly", async () => {
    fake.enqueue({ kind: "stall", afterContent: "Let me think" });
    const abort = new AbortController();
    const stream = await clientFor(fake).chat.completions.create(
      { model: MODEL, messages: MESSAGES, stream: true },
      { signal: abort.signal },
    );

    let content = "";
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      if (content === "Let me think") abort.abort();
    }

    // The SDK swallows an abort once the body is streaming: the loop just ends, without a
    // finish_reason, and only the stream's controller tells an abort from a clean end.
    expect(content).toBe("Let me think");
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it("stalls before the headers of a non-streaming request; an abort rejects it", async () => {
    fake.enqueue({ kind: "stall" });
    const abort = new AbortController();

    const failure = clientFor(fake).chat.completions.create(
      { model: MODEL, messages: MESSAGES },
      { signal: abort.signal },
    );
    await waitFor(() => fake.requests.length === 1);
    abort.abort();

    await expect(failure).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it("close() ends a stalled stream and leaves no sockets open", async () => {
    const local = await startFakeOpenAI();
    local.enqueue({ kind: "stall", afterContent: "half" });
    const stream = await clientFor(local).chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
      stream: true,
    });
    const reading = collect(stream);

    // The shared fake too, so that any TCP handle left over can only be a leak of close().
    await Promise.all([local.close(), fake.close()]);

    // Not an OpenAI error: the SDK does not wrap failures of a body that is already streaming.
    await expect(reading).rejects.toThrow(/terminated/);
    await waitFor(() => !process.getActiveResourcesInfo().some((name) => name.startsWith("TCP")));
  });
});

describe("fake OpenAI server, broken streams", () => {
  async function readStream(server: FakeOpenAI): Promise<{ content: string; failure: unknown }> {
    // logLevel "off": the SDK would print an unparsable event to the console before throwing.
    const client = new OpenAI({
      apiKey: server.apiKey,
      baseURL: server.baseURL,
      maxRetries: 0,
      logLevel: "off",
    });
    const stream = await client.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true });
    let content = "";
    try {
      for await (const chunk of stream) content += chunk.choices?.[0]?.delta?.content ?? "";
      return { content, failure: null };
    } catch (error) {
      return { content, failure: error };
    }
  }

  it("sends an event that is not JSON after some content, which the SDK throws on", async () => {
    fake.enqueue({ kind: "malformed", afterContent: "Half an ans", data: "{not json" });

    const { content, failure } = await readStream(fake);

    expect(content).toBe("Half an ans");
    expect(failure).toBeInstanceOf(SyntaxError);
  });

  it("sends a chunk of the wrong shape as it is, for the app to cope with", async () => {
    const odd = { id: "chatcmpl-odd", object: "chat.completion.chunk", choices: [{ index: 0 }] };
    fake.enqueue({ kind: "malformed", data: JSON.stringify(odd) });
    const client = clientFor(fake);

    const stream = await client.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true });
    const chunks = await collect(stream);

    expect(chunks).toEqual([odd]);
  });

  it("sends OpenAI's mid-stream error object, which the SDK throws as an APIError without a status", async () => {
    const error = { message: "The server had an error while processing your request.", type: "server_error" };
    fake.enqueue({ kind: "malformed", afterContent: "Sure", data: JSON.stringify({ error }) });

    const { content, failure } = await readStream(fake);

    expect(content).toBe("Sure");
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ status: undefined, message: error.message });
  });

  it("cuts the connection after some content: the content arrives, then the stream fails", async () => {
    fake.enqueue({ kind: "disconnect", afterContent: "Here is the st" });

    const { content, failure } = await readStream(fake);

    expect(content).toBe("Here is the st");
    // undici's error for a body cut short; the SDK does not wrap it.
    expect(failure).toBeInstanceOf(TypeError);
    expect(String((failure as Error).message)).toMatch(/terminated/);
  });

  it("answers with a gateway's HTML page instead of OpenAI's JSON error", async () => {
    const page = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";
    fake.enqueue({ kind: "error", status: 502, html: page, retryAfterSeconds: 2 });

    const failure = clientFor(fake).chat.completions.create({ model: MODEL, messages: MESSAGES });

    await expect(failure).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(failure).rejects.toMatchObject({ status: 502, error: undefined, message: `502 ${page}` });
    const error: unknown = await failure.catch((caught: unknown) => caught);
    expect(error instanceof OpenAI.APIError && error.headers?.get("retry-after")).toBe("2");
  });

  it("holds a streamed answer after the given events until released", async () => {
    let release = () => {};
    const until = new Promise<void>((resolve) => {
      release = resolve;
    });
    fake.enqueue(
      { kind: "reply", content: "one two three", chunkSize: 4, pause: { afterEvents: 2, until } },
      { kind: "reply", content: "meanwhile" },
    );
    const stream = await clientFor(fake).chat.completions.create({
      model: MODEL,
      messages: MESSAGES,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();

    expect((await iterator.next()).value?.choices[0]?.delta.role).toBe("assistant");
    expect((await iterator.next()).value?.choices[0]?.delta.content).toBe("one ");
    let thirdArrived = false;
    const third = iterator.next().then((next) => {
      thirdArrived = true;
      return next;
    });
    // A whole other request goes through meanwhile: anything the held stream had sent would be here by now.
    const other = await clientFor(fake).chat.completions.create({ model: MODEL, messages: MESSAGES });
    expect(other.choices[0]?.message.content).toBe("meanwhile");
    expect(thirdArrived).toBe(false);
    release();
    expect((await third).value?.choices[0]?.delta.content).toBe("two ");
    let rest = "";
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      rest += next.value.choices[0]?.delta.content ?? "";
    }
    expect(rest).toBe("three");
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 1_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
