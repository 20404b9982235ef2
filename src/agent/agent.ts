/**
 * The model loop: the model writes Python, the sandbox runs it, the model reads the result
 * (errors included) and either fixes its code or answers. It stops at an answer, the step
 * limit, the time budget or a cancel, and says honestly which. Every step is saved as it
 * happens, so history is right even when a run ends half-way.
 */
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { AgentConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { deliverExecution } from "../present/deliver-execution.ts";
import type { ReplySink } from "../present/reply-events.ts";
import { reportStages } from "../present/stage-events.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import { stoppedText } from "../stop-reason.ts";
import type { ConversationMessage } from "../store/types.ts";
import { trimHistory } from "./history-trim.ts";
import type { ChatModel, ModelTurn, TokenUsage } from "./model-client.ts";
import { PartialAnswer } from "./partial-answer.ts";
import { PYTHON_TOOL, parsePythonCall } from "./python-tool.ts";
import {
  isOversized,
  MAX_TOOL_CALLS_PER_TURN,
  notRunProblem,
  oversizedNotice,
  oversizedProblem,
  storedCall,
  tooManyCallsNotice,
} from "./tool-call-limits.ts";
import { toolResultText } from "./tool-result-text.ts";

export interface AgentRunInput {
  systemPrompt: string;
  /** Earlier messages of the conversation, oldest first; the new user message is last. */
  history: ConversationMessage[];
  session: SandboxSession;
  /** Who asked, so the sandbox can take turns between people when runs must wait. */
  owner?: string;
  signal: AbortSignal;
  emit: ReplySink;
  /** Saves messages as they are produced. */
  persist: (messages: ConversationMessage[]) => Promise<void>;
  /** Told after each model call that answered, with its tokens (null when the server sent none). */
  onModelCall?: (usage: TokenUsage | null) => void;
}

export type AgentStop = "answer" | "step-limit" | "time-budget" | "cancelled";

export interface AgentOptions {
  model: ChatModel;
  config: AgentConfig;
  maxFileBytes: number;
  /** Send the run's images back to the model so it can look at its own charts. */
  modelSeesImages: boolean;
  logger: Logger;
  now?: () => number;
}

export function toModelMessage(message: ConversationMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case "user":
      return { role: "user", content: message.content };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
    case "assistant":
      return {
        role: "assistant",
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
  }
}

export class Agent {
  constructor(private readonly options: AgentOptions) {}

  async run(input: AgentRunInput): Promise<AgentStop> {
    const { config, model, logger } = this.options;
    const now = this.options.now ?? Date.now;
    const deadline = now() + config.timeBudgetMs;
    const budget = AbortSignal.any([input.signal, AbortSignal.timeout(config.timeBudgetMs)]);
    const trimmed = trimHistory(input.history, config.historyTokenBudget);
    if (trimmed.droppedCount > 0) {
      await input.emit({
        type: "notice",
        text: `This thread is long: the ${trimmed.droppedCount} oldest messages were left out of what the model reads (files and variables are still there).`,
      });
    }
    const transcript: ChatCompletionMessageParam[] = trimmed.kept.map(toModelMessage);
    const imageCounter = { next: 1 };
    const tableCounter = { next: 1 };
    let pendingImages: Buffer[] = [];

    for (let step = 1; step <= config.maxSteps; step += 1) {
      if (input.signal.aborted) return this.stop("cancelled", input);
      if (now() >= deadline) return this.stop("time-budget", input);
      const messages: ChatCompletionMessageParam[] = [
        { role: "system", content: input.systemPrompt },
        ...transcript,
        ...imagesMessage(pendingImages),
      ];
      pendingImages = [];
      const partial = new PartialAnswer();
      let turn: ModelTurn;
      try {
        turn = await model.complete({
          messages,
          tools: [PYTHON_TOOL],
          signal: budget,
          onTextDelta: (text) => {
            partial.add(text);
            void input.emit({ type: "text-delta", text });
          },
          onRetry: (text) => {
            const cut = partial.cutOff();
            if (cut) void input.emit(cut);
            void input.emit({ type: "notice", text });
          },
        });
      } catch (error) {
        const cut = partial.cutOff();
        if (cut) await input.emit(cut);
        if (input.signal.aborted) return this.stop("cancelled", input);
        if (budget.aborted) return this.stop("time-budget", input);
        throw error;
      }
      input.onModelCall?.(turn.usage);
      const calls = turn.toolCalls;
      const assistant: ConversationMessage = {
        role: "assistant",
        content: turn.content || null,
        ...(calls.length > 0
          ? { toolCalls: calls.map((call, i) => storedCall(call, i < MAX_TOOL_CALLS_PER_TURN)) }
          : {}),
      };
      transcript.push(toModelMessage(assistant));
      if (turn.content.trim()) await input.emit({ type: "text", text: turn.content });
      if (calls.length === 0) {
        await input.persist([assistant]);
        return "answer";
      }
      const produced: ConversationMessage[] = [assistant];
      if (calls.length > MAX_TOOL_CALLS_PER_TURN) {
        logger.warn(
          { calls: calls.length },
          "model sent too many tool calls in one answer; running the first ones",
        );
        await input.emit({ type: "notice", text: tooManyCallsNotice(calls.length) });
      }
      for (const [index, call] of calls.entries()) {
        // Every call gets a result, run or not: the API refuses a history with an unanswered call.
        let content: string;
        const parsed = parsePythonCall(call.name, call.arguments);
        if (index >= MAX_TOOL_CALLS_PER_TURN) {
          content = `error: ${notRunProblem(calls.length)}`;
        } else if (isOversized(call)) {
          logger.warn(
            { tool: call.name, chars: call.argumentChars ?? call.arguments.length },
            "model sent an oversized tool call; not run",
          );
          await input.emit({ type: "notice", text: oversizedNotice(call) });
          content = `error: ${oversizedProblem(call)}`;
        } else if (!parsed.ok) {
          logger.info({ tool: call.name }, "model sent an unusable tool call; telling it");
          content = `error: ${parsed.problem}`;
        } else if (budget.aborted) {
          content = "error: the run was stopped before this code ran.";
        } else {
          await input.emit({ type: "code", code: parsed.code });
          await input.emit({ type: "status", status: "running-code" });
          const remaining = Math.max(1_000, deadline - now());
          const stages = reportStages(input.emit);
          const execution = await input.session.execute(parsed.code, {
            signal: budget,
            timeoutMs: Math.min(input.session.limits.executionTimeoutMs, remaining),
            onStage: stages.onStage,
            ...(input.owner === undefined ? {} : { owner: input.owner }),
          });
          await stages.settled();
          await input.emit({ type: "status", status: "working" });
          const delivered = await deliverExecution(execution, input.session, input.emit, {
            maxFileBytes: this.options.maxFileBytes,
            imageCounter,
            tableCounter,
          });
          if (this.options.modelSeesImages) pendingImages.push(...delivered.modelImages);
          content = toolResultText(execution, delivered);
        }
        const toolMessage: ConversationMessage = { role: "tool", toolCallId: call.id, content };
        produced.push(toolMessage);
        transcript.push(toModelMessage(toolMessage));
      }
      await input.persist(produced);
    }
    return this.stop("step-limit", input);
  }

  private async stop(reason: Exclude<AgentStop, "answer">, input: AgentRunInput): Promise<AgentStop> {
    const { config } = this.options;
    const text = {
      cancelled: stoppedText(input.signal).text,
      "time-budget": `I ran out of time (the limit is ${Math.round(config.timeBudgetMs / 1000)} s per request) before finishing. What ran so far is above; ask me to continue.`,
      "step-limit": `I stopped after ${config.maxSteps} steps without reaching a final answer (the limit per request). What ran so far is above; ask me to continue.`,
    }[reason];
    await input.persist([{ role: "assistant", content: text }]);
    await input.emit({ type: "notice", text });
    return reason;
  }
}

/** Images go to the model in a user message: tool messages carry text only. */
function imagesMessage(images: Buffer[]): ChatCompletionMessageParam[] {
  if (images.length === 0) return [];
  const parts: ChatCompletionContentPart[] = [
    { type: "text", text: "The images the last run produced, as the user sees them:" },
    // Only pictures the presenter decoded and scaled (deliver-execution.ts): a damaged or bomb
    // PNG would fail the whole model call, and a huge one only costs tokens.
    ...images.slice(0, 4).map((png) => ({
      type: "image_url" as const,
      image_url: { url: `data:image/png;base64,${png.toString("base64")}` },
    })),
  ];
  return [{ role: "user", content: parts }];
}
