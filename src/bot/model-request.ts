/**
 * A plain-language request answered by the agent: the question joins the stored history, the
 * system prompt describes the conversation's files as they are now, and everything the model
 * and its code produce is kept as it happens.
 */
import type { Agent } from "../agent/agent.ts";
import { buildSystemPrompt } from "../agent/system-prompt.ts";
import type { ChatFormatting } from "../present/chat-formatting.ts";
import type { ReplySink } from "../present/reply-events.ts";
import { reportStages } from "../present/stage-events.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import type { SandboxLibraries } from "../sandbox/sandbox-libraries.ts";
import type { ConversationMessage, Store } from "../store/types.ts";
import type { RequestMeter } from "../usage/request-meter.ts";
import { describeFiles } from "./file-previews.ts";

export interface ModelRequest {
  agent: Agent;
  store: Store;
  key: string;
  /** The question, with the note on any attachments that came with it. */
  question: ConversationMessage & { role: "user" };
  owner: string;
  session: SandboxSession;
  /** What the sandbox image has installed, for the system prompt. */
  libraries: SandboxLibraries | null;
  formatting: ChatFormatting;
  emit: ReplySink;
  signal: AbortSignal;
  meter: RequestMeter | null;
  now: Date;
}

export async function answerWithModel(request: ModelRequest): Promise<void> {
  const { store, key, session, owner, signal, emit } = request;
  await store.appendMessages(key, [request.question]);
  const history = (await store.listMessages(key)).map((stored) => stored.message);
  const stages = reportStages(emit);
  const files = await describeFiles(session, { owner, signal, onStage: stages.onStage });
  await stages.settled();
  const systemPrompt = buildSystemPrompt({
    formatting: request.formatting,
    files,
    timeoutSeconds: Math.round(session.limits.executionTimeoutMs / 1000),
    memoryMb: session.limits.memoryMb,
    libraries: request.libraries,
    now: request.now,
  });
  await request.agent.run({
    systemPrompt,
    history,
    session,
    owner,
    signal,
    emit,
    persist: (messages) => store.appendMessages(key, messages),
    onModelCall: (usage) => request.meter?.modelCall(usage),
  });
}
