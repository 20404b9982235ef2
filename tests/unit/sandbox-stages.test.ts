import { describe, expect, it } from "vitest";
import { DISCORD_TEXT, discordLimits } from "../../adapters/discord/format.ts";
import type { ChatModel, ModelTurn } from "../../src/agent/model-client.ts";
import { Bot } from "../../src/bot/bot.ts";
import type { IncomingMessage } from "../../src/bot/incoming-message.ts";
import { silentLogger } from "../../src/logger.ts";
import { PLAIN_MARKDOWN } from "../../src/present/chat-formatting.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import type { ReplySurface } from "../../src/present/surface.ts";
import type { Sandbox, SandboxSession } from "../../src/sandbox/sandbox.ts";
import type { ExecuteOptions, RunStage } from "../../src/sandbox/types.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { pythonCall } from "../helpers/bot-harness.ts";

/**
 * The scripted sandbox, with each run first going through `before` (which reports stages, as
 * the Docker sandbox does while a run waits for a slot or a container) and the options of
 * every run kept for assertions.
 */
function stagedSandbox(
  inner: FakeSandbox,
  before: (options: ExecuteOptions) => Promise<void>,
): { sandbox: Sandbox; runs: ExecuteOptions[] } {
  const runs: ExecuteOptions[] = [];
  const wrap = (session: SandboxSession): SandboxSession => ({
    key: session.key,
    limits: session.limits,
    location: session.location,
    execute: async (code, options = {}) => {
      runs.push(options);
      await before(options);
      return session.execute(code, options);
    },
    putFile: (path, data) => session.putFile(path, data),
    getFile: (path, maxBytes) => session.getFile(path, maxBytes),
    listFiles: () => session.listFiles(),
    reset: (clearFiles) => session.reset(clearFiles),
  });
  const sandbox: Sandbox = {
    limits: inner.limits,
    acquire: async (key) => wrap(await inner.acquire(key)),
    close: (key) => inner.close(key),
    handOver: (key) => inner.handOver(key),
    shutdown: () => inner.shutdown(),
  };
  return { sandbox, runs };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reports `stages` one tick apart, as a run's wait goes on. */
const reporting =
  (stages: RunStage[]) =>
  async (options: ExecuteOptions): Promise<void> => {
    for (const stage of stages) {
      options.onStage?.(stage);
      await tick(1);
    }
  };

function scriptedModel(turns: ModelTurn[]): ChatModel {
  return {
    name: "scripted",
    complete: async () => {
      const turn = turns.shift();
      if (!turn) throw new Error("the scripted model has no more turns");
      return turn;
    },
  };
}

function botOn(sandbox: Sandbox, model: ChatModel | null = null): Bot {
  return new Bot({
    store: openSqliteStore({ path: ":memory:", logger: silentLogger() }),
    sandbox,
    model,
    agent: { maxSteps: 4, timeBudgetMs: 60_000, historyTokenBudget: 20_000, maxAttachmentBytes: 1_000_000 },
    modelSeesImages: false,
    logger: silentLogger(),
  });
}

function message(overrides: Partial<IncomingMessage>): IncomingMessage {
  return {
    deliveryId: `d-${Math.random()}`,
    conversation: { platform: "slack", workspace: "T1", channel: "C1", thread: "1.0" },
    author: { id: "U42", name: "Ada" },
    text: "",
    attachments: [],
    addressed: true,
    ...overrides,
  };
}

/** A renderer that takes its time over stages: events must still arrive in the order they were sent. */
function slowRecorder(): { events: ReplyEvent[]; sink: (event: ReplyEvent) => Promise<void> } {
  const events: ReplyEvent[] = [];
  return {
    events,
    sink: async (event) => {
      await tick(event.type === "sandbox-stage" ? 15 : 0);
      events.push(event);
    },
  };
}

function shape(event: ReplyEvent): string {
  if (event.type === "sandbox-stage") {
    return event.stage.stage === "queued" ? `queued ${event.stage.ahead}` : event.stage.stage;
  }
  return event.type === "status" ? `status ${event.status}` : event.type;
}

const WAIT: RunStage[] = [
  { stage: "queued", ahead: 2 },
  { stage: "queued", ahead: 1 },
  { stage: "starting" },
  { stage: "restoring" },
  { stage: "running" },
];

describe("sandbox stages in a reply", () => {
  it("runs a direct run as its author's and tells its stages in order, before its result", async () => {
    const fake = new FakeSandbox();
    fake.script("print(1)", () => ({ stdout: "1\n" }));
    const { sandbox, runs } = stagedSandbox(fake, reporting(WAIT));
    const { events, sink } = slowRecorder();
    await botOn(sandbox).handle(message({ text: "```python\nprint(1)\n```" }), sink, PLAIN_MARKDOWN);
    expect(runs.map((run) => run.owner)).toEqual(["slack:U42"]);
    expect(events.map(shape)).toEqual([
      "status working",
      "code",
      "status running-code",
      "queued 2",
      "queued 1",
      "starting",
      "restoring",
      "running",
      "code-result",
      "status done",
    ]);
  });

  it("runs the agent's code and the table preview as the asking user's, with their stages", async () => {
    const fake = new FakeSandbox();
    fake.script("print(1)", () => ({ stdout: "1\n" }));
    const { sandbox, runs } = stagedSandbox(
      fake,
      reporting([{ stage: "queued", ahead: 0 }, { stage: "running" }]),
    );
    const model = scriptedModel([
      {
        content: "",
        toolCalls: [{ id: "c1", ...pythonCall("print(1)") }],
        finishReason: "tool_calls",
        usage: null,
      },
      { content: "It printed 1.", toolCalls: [], finishReason: "stop", usage: null },
    ]);
    const { events, sink } = slowRecorder();
    const csv = Buffer.from("a,b\n1,2\n");
    await botOn(sandbox, model).handle(
      message({
        conversation: { platform: "discord", workspace: "G1", channel: "C1", thread: "T1" },
        author: { id: "D7", name: "Grace" },
        text: "what is in the table?",
        attachments: [{ name: "t.csv", mimeType: "text/csv", size: csv.length, fetch: async () => csv }],
      }),
      sink,
      PLAIN_MARKDOWN,
    );
    expect(runs.map((run) => run.owner)).toEqual(["discord:D7", "discord:D7"]);
    expect(fake.executed("discord:G1:C1:T1")).toEqual([expect.stringContaining("__cib_preview"), "print(1)"]);
    expect(events.map(shape)).toEqual([
      "status working",
      // The table preview for the system prompt waits its turn too.
      "queued 0",
      "running",
      "code",
      "status running-code",
      "queued 0",
      "running",
      "status working",
      "code-result",
      "text",
      "status done",
    ]);
  });

  it("leaves an honest line when a request is cancelled while its run is queued", async () => {
    const fake = new FakeSandbox();
    fake.script("print(1)", () => ({ stdout: "1\n" }));
    const { sandbox } = stagedSandbox(fake, async (options) => {
      options.onStage?.({ stage: "queued", ahead: 1 });
      // The run stays queued until it is cancelled; the sandbox then answers it as cancelled.
      await new Promise((resolve) => options.signal?.addEventListener("abort", resolve, { once: true }));
    });
    const lines = new Map<string, string>();
    const surface: ReplySurface = {
      limits: discordLimits(1_000_000),
      text: DISCORD_TEXT,
      post: async (text) => {
        const ref = `m${lines.size + 1}`;
        lines.set(ref, text);
        return ref;
      },
      upload: async () => undefined,
      edit: async (ref, text) => void lines.set(ref, text),
    };
    const presenter = new ReplyPresenter(surface, {
      progressIntervalMs: 0,
      logger: silentLogger(),
      now: () => 0,
    });
    const bot = botOn(sandbox);
    const incoming = message({ text: "```python\nprint(1)\n```" });
    const reply = bot.handle(incoming, presenter.sink, PLAIN_MARKDOWN);
    await tick(20);
    expect([...lines.values()]).toContain(
      "⏳ Queued: 1 request ahead of this one. It starts when a sandbox is free.",
    );
    expect(bot.cancel(incoming.conversation)).toBe(true);
    await reply;
    await presenter.flushed();
    expect([...lines.values()]).toEqual([
      "🐍 Running:\n```py\nprint(1)\n```\n🚫 Cancelled.",
      "⏳ Cancelled while queued, after less than 1 s.",
      "ℹ️ The run was cancelled before it started; the code did not run.",
    ]);
  });
});
