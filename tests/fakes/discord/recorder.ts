/**
 * The recorded state a test reads, and the events that announce each change to it. Every
 * part of the fake records through here, so `waitFor` can wake on the change a test awaits
 * instead of polling.
 */
import { EventEmitter } from "node:events";
import type {
  CdnDownload,
  FakeDiscordEvents,
  FakeInteraction,
  FakeInteractionResponse,
  FakeMessage,
  FakeReaction,
  FakeThread,
  FakeTyping,
  GatewayConnectionRecord,
  GatewayFrame,
  IdentifyRecord,
  RecordedCall,
  RegisteredCommands,
  ResumeRecord,
} from "./types.ts";

export const DEFAULT_WAIT_MS = 5_000;

export interface WaitOptions {
  timeoutMs?: number;
  /** Names what is awaited in the timeout's error message. */
  description?: string;
}

export class Recorder {
  readonly events = new EventEmitter<FakeDiscordEvents>();
  readonly calls: RecordedCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly reactions: FakeReaction[] = [];
  readonly typing: FakeTyping[] = [];
  readonly threads: FakeThread[] = [];
  readonly interactions: FakeInteraction[] = [];
  readonly interactionResponses: FakeInteractionResponse[] = [];
  readonly registeredCommands: RegisteredCommands = { global: [], guilds: {} };
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: ResumeRecord[] = [];
  readonly connections: GatewayConnectionRecord[] = [];
  readonly frames: GatewayFrame[] = [];
  readonly downloads: CdnDownload[] = [];
  private closed = false;

  constructor() {
    // Every waiter listens to `change`; a busy test may hold more than the default ten.
    this.events.setMaxListeners(0);
  }

  emit<K extends keyof FakeDiscordEvents>(name: K, ...args: FakeDiscordEvents[K]): void {
    (this.events.emit as (name: K, ...args: FakeDiscordEvents[K]) => boolean)(name, ...args);
    if (name !== "change") this.events.emit("change", name);
  }

  /**
   * Resolves with `check()`'s first truthy result, checking now and after every recorded
   * change; rejects after `timeoutMs` or when the fake closes.
   */
  waitFor<T>(check: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const finish = (error: Error | undefined, value?: T) => {
        clearTimeout(timer);
        this.events.off("change", onChange);
        if (error) reject(error);
        else resolve(value as T);
      };
      const onChange = (kind: string) => {
        if (kind === "fake-close") {
          finish(new Error(`fake Discord: closed while waiting for ${options.description ?? "a change"}`));
          return;
        }
        let value: T | undefined | null | false;
        try {
          value = check();
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value) finish(undefined, value);
      };
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `fake Discord: timed out after ${timeoutMs} ms waiting for ${options.description ?? "a change"}`,
            ),
          ),
        timeoutMs,
      );
      this.events.on("change", onChange);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.emit("change", "fake-close");
  }
}
