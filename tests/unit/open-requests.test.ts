/**
 * The bot remembers each request it takes on, from arrival to its last reply, so a process
 * killed mid-request leaves a row the next start answers; and a message that arrives while the
 * bot stops is remembered instead of dropped.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot/bot.ts";
import type { IncomingMessage } from "../../src/bot/incoming-message.ts";
import { silentLogger } from "../../src/logger.ts";
import { PLAIN_MARKDOWN } from "../../src/present/chat-formatting.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.ts";
import type { OpenRequest } from "../../src/store/types.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { modelLessBot } from "../helpers/model-less-bot.ts";

const stores: SqliteStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function setUp() {
  const store = openSqliteStore({ path: ":memory:", logger: silentLogger() });
  stores.push(store);
  const sandbox = new FakeSandbox();
  const bot = modelLessBot({ store, sandbox });
  return { store, sandbox, bot };
}

let deliveries = 0;
function message(code: string, replyAddress?: IncomingMessage["replyAddress"]): IncomingMessage {
  deliveries += 1;
  return {
    deliveryId: `delivery-${deliveries}`,
    conversation: { platform: "chat", workspace: "w", channel: "c", thread: "t" },
    author: { id: "ada" },
    text: `\`\`\`python\n${code}\n\`\`\``,
    attachments: [],
    addressed: true,
    ...(replyAddress ? { replyAddress } : {}),
  };
}

/** A run that waits until released, and says when it has begun. */
function blockingRun(sandbox: FakeSandbox, code: string) {
  let begin: () => void = () => {};
  let release: () => void = () => {};
  const begun = new Promise<void>((resolve) => {
    begin = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  sandbox.script(code, async () => {
    begin();
    await released;
    return { stdout: "finished\n" };
  });
  return { begun, release };
}

function handle(bot: Bot, incoming: IncomingMessage, events: ReplyEvent[] = []): Promise<void> {
  return bot.handle(incoming, (event) => void events.push(event), PLAIN_MARKDOWN);
}

describe("open requests", () => {
  it("are remembered from arrival until the reply ends: started when they leave the queue", async () => {
    const { store, sandbox, bot } = setUp();
    const slow = blockingRun(sandbox, "slow()");
    const first = handle(bot, message("slow()", { channel: "C1", post: "1" }));
    await slow.begun;
    const waitingEvents: ReplyEvent[] = [];
    const second = handle(bot, message("print(2)", { channel: "C1", post: "2" }), waitingEvents);
    const open = async () =>
      (await store.listOpenRequests()).map((r: OpenRequest) => [r.replyAddress.post, r.startedAt !== null]);
    // Both rows exist: the first started, the second written before it waits its turn.
    await expect.poll(open).toEqual([
      ["1", true],
      ["2", false],
    ]);
    expect(waitingEvents).toContainEqual({ type: "status", status: "queued" });
    slow.release();
    await Promise.all([first, second]);
    expect(await store.listOpenRequests()).toEqual([]);
  });

  it("are not remembered without a reply address: a private answer has no thread to return to", async () => {
    const { store, sandbox, bot } = setUp();
    const slow = blockingRun(sandbox, "slow()");
    const running = handle(bot, message("slow()"));
    await slow.begun;
    expect(await store.listOpenRequests()).toEqual([]);
    slow.release();
    await running;
  });

  it("keep a message that arrives while the bot stops, unanswered, for the next start", async () => {
    const { store, sandbox, bot } = setUp();
    const slow = blockingRun(sandbox, "slow()");
    const running = handle(bot, message("slow()", { channel: "C1", post: "1" }));
    await slow.begun;
    const stopped = bot.stop(60_000);
    const lateEvents: ReplyEvent[] = [];
    await handle(bot, message("print('late')", { channel: "C1", post: "late" }), lateEvents);
    expect(lateEvents).toEqual([]);
    slow.release();
    await Promise.all([running, stopped]);
    const left = await store.listOpenRequests();
    expect(left).toMatchObject([{ replyAddress: { post: "late" }, startedAt: null, platform: "chat" }]);
  });
});
