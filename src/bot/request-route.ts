/**
 * Where a request goes once its turn has come: a command, a direct ```python run, a note about
 * attachments that came without a question, or the model. The sandbox session is opened and
 * recorded first, and the attachments copied into it, whichever way it goes.
 */
import type { Agent } from "../agent/agent.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { ConversationMessage, Store } from "../store/types.ts";
import type { UsageGuard } from "../usage/usage-guard.ts";
import { receiveAttachments } from "./attachment-intake.ts";
import { runCommand } from "./bot-commands.ts";
import { author, type RequestContext } from "./bot-request.ts";
import { extractDirectCode, runDirectly } from "./direct-run.ts";
import { authorKeyString } from "./incoming-message.ts";
import { answerWithModel } from "./model-request.ts";
import { usageUser } from "./usage-admission.ts";
import { HELP_TEXT, NO_MODEL_TEXT } from "./user-messages.ts";

export interface RouteDependencies {
  store: Store;
  sandbox: Sandbox;
  /** Null when no LLM is configured. */
  agent: Agent | null;
  usage: UsageGuard;
  maxAttachmentBytes: number;
  now: () => number;
  /** The admin's `status` answer. */
  status: () => Promise<string>;
}

export async function routeRequest(
  context: RequestContext,
  signal: AbortSignal,
  deps: RouteDependencies,
): Promise<void> {
  const { key, message, emit, log } = context;
  const { store, sandbox } = deps;
  if (message.command) {
    return runCommand(message.command, {
      key,
      user: usageUser(message),
      admin: context.admin,
      store,
      sandbox,
      usage: deps.usage,
      status: deps.status,
      emit,
    });
  }
  const session = await sandbox.acquire(key);
  const now = deps.now();
  await store.recordSandboxSession({
    conversationKey: key,
    containerName: session.location,
    createdAt: now,
    lastUsedAt: now,
  });
  const { copied, note: uploadNote } = await receiveAttachments(message.attachments, session, {
    maxBytes: deps.maxAttachmentBytes,
    logger: log,
    signal,
    emit,
  });
  context.meter?.filesIn(copied);
  const code = message.forceDirectRun ? message.text : extractDirectCode(message.text);
  if (code !== null) {
    const owner = authorKeyString(message);
    const persist = (messages: ConversationMessage[]) => store.appendMessages(key, messages);
    return runDirectly({ code, session, emit, signal, owner, author: author(message), persist });
  }
  if (!message.text.trim()) {
    if (copied.length === 0) return void (await emit({ type: "text", text: HELP_TEXT }));
    await store.appendMessages(key, [{ role: "user", content: uploadNote.trim(), ...author(message) }]);
    const names = copied.map((c) => `/mnt/data/${c.name}`).join(", ");
    return void (await emit({
      type: "text",
      text: `Got it: ${names}. What would you like me to do with it?`,
    }));
  }
  if (!deps.agent) return void (await emit({ type: "error", code: "no_model", text: NO_MODEL_TEXT }));
  await answerWithModel({
    agent: deps.agent,
    store,
    key,
    question: { role: "user", content: message.text + uploadNote, ...author(message) },
    owner: authorKeyString(message),
    session,
    libraries: (await sandbox.libraries?.()) ?? null,
    formatting: context.formatting,
    emit,
    signal,
    meter: context.meter,
    now: new Date(deps.now()),
  });
}
