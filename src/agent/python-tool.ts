/** The one tool the model has: run Python in the conversation's sandbox. */
import type { ChatCompletionTool } from "openai/resources/chat/completions";

export const PYTHON_TOOL_NAME = "python";

export const PYTHON_TOOL: ChatCompletionTool = {
  type: "function",
  function: {
    name: PYTHON_TOOL_NAME,
    description:
      "Runs Python code in a persistent Jupyter-like session: variables, imports and files in /mnt/data " +
      "stay between calls. The value of the last expression is shown. Figures (matplotlib) and files " +
      "written to /mnt/data are sent to the user automatically. No internet access.",
    parameters: {
      type: "object",
      properties: { code: { type: "string", description: "The Python code to run." } },
      required: ["code"],
      additionalProperties: false,
    },
  },
};

export type ParsedToolCall = { ok: true; code: string } | { ok: false; problem: string };

/** Checks what the model sent; a problem goes back to it as the tool's result, so it can fix the call. */
export function parsePythonCall(name: string, rawArguments: string): ParsedToolCall {
  if (name !== PYTHON_TOOL_NAME) {
    return {
      ok: false,
      problem: `There is no tool called "${name}". The only tool is "${PYTHON_TOOL_NAME}".`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawArguments);
  } catch (error) {
    return {
      ok: false,
      problem:
        `The arguments were not valid JSON (${(error as Error).message}). ` +
        'Call the tool again with arguments like {"code": "print(1)"}, escaping newlines and quotes.',
    };
  }
  const code =
    typeof parsed === "object" && parsed !== null ? (parsed as { code?: unknown }).code : undefined;
  if (typeof code !== "string" || code.trim() === "") {
    return {
      ok: false,
      problem: 'The arguments need a non-empty string field "code", like {"code": "print(1)"}.',
    };
  }
  return { ok: true, code };
}
