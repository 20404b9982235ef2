/**
 * The shape check on streamed chunks: what OpenAI and compatible servers really send passes,
 * fields of the wrong type are named. The whole path (the fake server, the real SDK, the thread)
 * is in tests/faults/model-api.test.ts.
 */
import { describe, expect, it } from "vitest";
import { checkChunk } from "../../src/agent/model-chunk.ts";

const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m" };

describe("checkChunk", () => {
  it.each([
    [
      "a content fragment",
      { ...base, choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] },
    ],
    ["the role chunk", { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }],
    [
      "a tool call's opening",
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index: 0, id: "c1", type: "function", function: { name: "python", arguments: "" } },
              ],
            },
          },
        ],
      },
    ],
    [
      "the usage chunk, with no choices",
      { ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } },
    ],
    ["a usage chunk with choices left out", { ...base, usage: { prompt_tokens: 1, completion_tokens: 2 } }],
    ["a finish without a delta", { ...base, choices: [{ index: 0, finish_reason: "stop" }] }],
  ])("passes %s", (_name, chunk) => {
    expect(checkChunk(chunk)).toBeNull();
  });

  it.each([
    ["null", null, "an event that is not a JSON object"],
    ["a list", [1, 2], "an event that is not a JSON object"],
    ["choices as text", { ...base, choices: "Hi" }, "a chunk whose choices are not a list"],
    ["a choice that is text", { ...base, choices: ["Hi"] }, "a chunk whose choice is not an object"],
    ["a delta that is text", { ...base, choices: [{ delta: "Hi" }] }, "a chunk whose delta is not an object"],
    [
      "content that is a number",
      { ...base, choices: [{ delta: { content: 7 } }] },
      "a chunk whose content is not text",
    ],
    [
      "a numeric finish_reason",
      { ...base, choices: [{ delta: {}, finish_reason: 1 }] },
      "a chunk whose finish_reason is not text",
    ],
    [
      "tool_calls as an object",
      { ...base, choices: [{ delta: { tool_calls: {} } }] },
      "a chunk whose tool_calls are not a list",
    ],
    [
      "arguments that are not text",
      { ...base, choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: { code: 1 } } }] } }] },
      "a tool call of the wrong shape",
    ],
  ])("names %s", (_name, chunk, problem) => {
    expect(checkChunk(chunk)).toBe(problem);
  });
});
