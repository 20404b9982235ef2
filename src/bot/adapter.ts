/**
 * The contract between the core and a chat platform. An adapter turns platform events into
 * IncomingMessages and renders the reply events it is given; it holds no agent, sandbox or
 * storage logic. Optional capabilities (editing, typing) stay inside each adapter.
 */
import type { AccessDecision } from "../access/access-decision.ts";
import type { ChatFormatting } from "../present/chat-formatting.ts";
import type { ReplySink } from "../present/reply-events.ts";
import type { ShownStatus } from "../present/surface.ts";
import type { SandboxFile } from "../sandbox/types.ts";
import type { ReplyAddress } from "../store/types.ts";
import type { ConversationKey, IncomingMessage } from "./incoming-message.ts";
import type { PlatformObserver } from "./platform-observer.ts";

export interface MessageHandler {
  /**
   * Whether the author may use the bot here, decided and logged by the core. Adapters ask
   * before anything visible (a thread, a reaction, a download) and, when refused, show the
   * decision's text privately where the platform can (an ephemeral message); `handle` asks
   * again and refuses in the thread, so an adapter that does not ask is still safe.
   */
  admit(message: Pick<IncomingMessage, "conversation" | "author" | "place">): AccessDecision;
  handle(message: IncomingMessage, sink: ReplySink, formatting: ChatFormatting): Promise<void>;
  /** Stops the conversation's running request, if any; true when there was one. */
  cancel(conversation: ConversationKey): boolean;
  /**
   * The files in the conversation's sandbox (/mnt/data), for platforms that can show them
   * beside the chat; chat platforms use the `files` command instead.
   */
  listFiles(conversation: ConversationKey): Promise<SandboxFile[]>;
  /** One of those files, refused past the sandbox's limit for files taken out. */
  readFile(conversation: ConversationKey, path: string): Promise<Buffer>;
}

export interface ChatAdapter {
  readonly platform: string;
  /** Where people open it, for an adapter that serves its own page (null until started). */
  readonly url?: string | null;
  start(handler: MessageHandler): Promise<void>;
  stop(): Promise<void>;
  /**
   * Whether it can take messages now (connected, listening), for the readiness endpoint. An
   * adapter that cannot tell leaves it out and is not checked, rather than guessing "yes".
   */
  ready?(): boolean;
  /** Adds an observer (metrics) of the platform's API: failed calls and rate-limit waits. */
  observe?(observer: PlatformObserver): void;
  /**
   * A reply into the thread of a request taken on before a restart, from the `replyAddress` this
   * adapter put on its IncomingMessage; null when the address no longer leads anywhere. `shown`
   * is the status mark the request carried when the bot stopped, for the reply to replace.
   */
  reopen?(address: ReplyAddress, shown: ShownStatus | null): Promise<ReopenedReply | null>;
}

/** A reply opened again after a restart: what `handle` is given, and when it has all been said. */
export interface ReopenedReply {
  sink: ReplySink;
  formatting: ChatFormatting;
  flushed(): Promise<void>;
}
