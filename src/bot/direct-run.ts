/**
 * A message that is only a fenced Python block runs as it is, without the model, like a
 * notebook cell. The fence may say python or py, or nothing at all.
 */
import { toolResultText } from "../agent/tool-result-text.ts";
import { deliverExecution } from "../present/deliver-execution.ts";
import type { ReplySink } from "../present/reply-events.ts";
import { reportStages } from "../present/stage-events.ts";
import type { SandboxSession } from "../sandbox/sandbox.ts";
import { SHUTDOWN_TEXT, stoppedByShutdown } from "../stop-reason.ts";
import type { ConversationMessage } from "../store/types.ts";

const FENCED = /^\s*```[ \t]*(python3?|py)?[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```\s*$/i;

export function extractDirectCode(text: string): string | null {
  const match = FENCED.exec(text);
  if (!match) return null;
  const code = match[2] ?? "";
  return code.trim() ? code : null;
}

export interface DirectRunInput {
  code: string;
  session: SandboxSession;
  emit: ReplySink;
  signal: AbortSignal;
  /** Who asked, so the sandbox can take turns between people. */
  owner: string;
  /** The author's name as history records it. */
  author: { author?: string };
  persist: (messages: ConversationMessage[]) => Promise<void>;
}

export async function runDirectly(input: DirectRunInput): Promise<void> {
  const { code, session, emit } = input;
  await emit({ type: "code", code });
  await emit({ type: "status", status: "running-code" });
  const stages = reportStages(emit);
  const execution = await session.execute(code, {
    signal: input.signal,
    owner: input.owner,
    onStage: stages.onStage,
  });
  await stages.settled();
  const delivered = await deliverExecution(execution, session, emit, {
    maxFileBytes: session.limits.maxFileBytes,
    imageCounter: { next: 1 },
  });
  const shutdown = execution.status === "cancelled" && stoppedByShutdown(input.signal);
  if (shutdown) await emit({ type: "notice", text: SHUTDOWN_TEXT });
  // The model sees direct runs later too, so it knows what the user did by hand.
  await input.persist([
    { role: "user", content: `\`\`\`python\n${code}\n\`\`\``, ...input.author },
    {
      role: "assistant",
      content:
        `[The user's code ran directly]\n${toolResultText(execution, delivered)}` +
        (shutdown ? `\n${SHUTDOWN_TEXT}` : ""),
    },
  ]);
}
