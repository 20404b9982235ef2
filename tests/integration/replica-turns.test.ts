/**
 * Two replicas of the bot's core on one PostgreSQL: each has its own process-local queue, and a
 * thread's messages reach whichever replica the platform picked. The store's conversation turn
 * makes them run one at a time, in the order they arrived, each once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot/bot.ts";
import { conversationKeyString, type IncomingMessage } from "../../src/bot/incoming-message.ts";
import { silentLogger } from "../../src/logger.ts";
import { PLAIN_MARKDOWN } from "../../src/present/chat-formatting.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres-store.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { modelLessBot } from "../helpers/model-less-bot.ts";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";

let server: TestPostgres;
const stores: PostgresStore[] = [];

beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

afterAll(async () => {
  await server?.stop();
});

interface Replica {
  bot: Bot;
  sandbox: FakeSandbox;
}

async function replicas(count: number): Promise<Replica[]> {
  const url = await server.createDatabase();
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const store = await openPostgresStore({ url, logger: silentLogger() });
      stores.push(store);
      const replicaId = `replica-${index}`;
      await store.registerReplica(replicaId, { exclusive: false });
      const sandbox = new FakeSandbox();
      const bot = modelLessBot({ store, sandbox, replicaId, sharedStore: true });
      return { bot, sandbox };
    }),
  );
}

let deliveries = 0;
function message(code: string, thread = "t1"): IncomingMessage {
  deliveries += 1;
  return {
    deliveryId: `delivery-${deliveries}`,
    conversation: { platform: "slack", workspace: "T", channel: "C", thread },
    author: { id: "U1" },
    text: `\`\`\`python\n${code}\n\`\`\``,
    attachments: [],
    addressed: true,
    replyAddress: { channel: "C", ts: `${deliveries}` },
  };
}

describe("replicas taking turns on one conversation", () => {
  it("run a thread's messages one at a time, in arrival order, whichever replica got each", async () => {
    const all = await replicas(2);
    const steps = [1, 2, 3, 4, 5];
    // A message has arrived once it is running or says it waits: its place is stamped by then.
    const arrived = new Map(steps.map((step) => [step, deferred()]));
    const ran: number[] = [];
    const queuedOn: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    for (const { sandbox } of all) {
      sandbox.script(/^step\(\d+\)$/, async ({ code }) => {
        const step = Number(/\d+/.exec(code)?.[0]);
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        // Each run lasts until the next message has arrived, so that one must wait its turn.
        await arrived.get(step + 1)?.promise;
        ran.push(step);
        running -= 1;
        return { stdout: "ok\n" };
      });
    }
    const handled: Promise<void>[] = [];
    for (const step of steps) {
      const replica = all[step % 2];
      if (!replica) throw new Error("two replicas expected");
      const sink = (event: ReplyEvent) => {
        if (event.type !== "status") return;
        if (event.status === "queued") queuedOn.push(step);
        if (event.status === "queued" || event.status === "working") arrived.get(step)?.resolve();
      };
      handled.push(replica.bot.handle(message(`step(${step})`), sink, PLAIN_MARKDOWN));
      await arrived.get(step)?.promise;
    }
    await Promise.all(handled);
    expect(ran).toEqual(steps);
    expect(mostAtOnce).toBe(1);
    // Every later message waited, and said so, whichever replica had it.
    expect(queuedOn).toEqual([2, 3, 4, 5]);
  }, 60_000);

  it("runs different conversations side by side", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas expected");
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    a.sandbox.script("hold()", async () => {
      await held;
      return { stdout: "held\n" };
    });
    b.sandbox.script("print('other')", () => ({ stdout: "other\n" }));
    const first = a.bot.handle(message("hold()", "busy"), () => undefined, PLAIN_MARKDOWN);
    const events: ReplyEvent[] = [];
    await b.bot.handle(message("print('other')", "free"), (event) => void events.push(event), PLAIN_MARKDOWN);
    expect(events).toContainEqual({ type: "status", status: "done" });
    release();
    await first;
  }, 60_000);

  it("lets a request waiting for another replica be cancelled: it never runs", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas expected");
    const never = b.sandbox.script("print('never')", () => ({ stdout: "never\n" }));
    const { first, release } = await holdOn(a);
    const queued = deferred();
    const events: ReplyEvent[] = [];
    const waiting = b.bot.handle(
      message("print('never')"),
      (event) => {
        events.push(event);
        if (event.type === "status" && event.status === "queued") queued.resolve();
      },
      PLAIN_MARKDOWN,
    );
    await queued.promise;
    expect(b.bot.cancel(message("").conversation)).toBe(true);
    await waiting;
    expect(events).toContainEqual({ type: "error", code: "cancelled", text: "The request was cancelled." });
    release.resolve();
    await first;
    expect(never.calls).toEqual([]);
  }, 60_000);
  it("hands the sandbox over before giving up the turn, so the next replica's run finds it let go", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas expected");
    const key = conversationKeyString(message("").conversation);
    let handedOverWhenBRan: string[] = [];
    b.sandbox.script("after()", () => {
      handedOverWhenBRan = [...a.sandbox.handedOver];
      return { stdout: "after\n" };
    });
    const { first, release } = await holdOn(a);
    const queued = deferred();
    const second = b.bot.handle(
      message("after()"),
      (event) => {
        if (event.type === "status" && event.status === "queued") queued.resolve();
      },
      PLAIN_MARKDOWN,
    );
    await queued.promise;
    release.resolve();
    await Promise.all([first, second]);
    expect(handedOverWhenBRan).toEqual([key]);
    expect(b.sandbox.handedOver).toEqual([key]);
  }, 60_000);

  it("runs housekeeping only when no replica holds or waits for the conversation, and holds its turn meanwhile", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas expected");
    const key = conversationKeyString(message("").conversation);
    const { first, release } = await holdOn(a);
    let worked = 0;
    const work = async () => {
      worked += 1;
    };
    // Busy on the other replica, and busy here: not idle.
    expect(await b.bot.housekeep(key, work)).toBe(false);
    expect(await a.bot.housekeep(key, work)).toBe(false);
    release.resolve();
    await first;
    expect(worked).toBe(0);

    // Free: b does it, and a request arriving on a meanwhile waits for it to finish.
    const inside = deferred();
    const finish = deferred();
    const housekeeping = b.bot.housekeep(key, async () => {
      inside.resolve();
      await finish.promise;
      worked += 1;
    });
    await inside.promise;
    const order: string[] = [];
    a.sandbox.script("later()", () => {
      order.push(worked === 1 ? "after housekeeping" : "during housekeeping");
      return { stdout: "later\n" };
    });
    const queued = deferred();
    const later = a.bot.handle(
      message("later()"),
      (event) => {
        if (event.type === "status" && event.status === "queued") queued.resolve();
      },
      PLAIN_MARKDOWN,
    );
    await queued.promise;
    finish.resolve();
    expect(await housekeeping).toBe(true);
    await later;
    expect(order).toEqual(["after housekeeping"]);
    expect(b.sandbox.handedOver).toEqual([key]);
  }, 60_000);
});

/** Starts a run on `replica` that holds the conversation until `release` resolves. */
async function holdOn(replica: Replica): Promise<{ first: Promise<void>; release: { resolve(): void } }> {
  const holding = deferred();
  const release = deferred();
  replica.sandbox.script("hold()", async () => {
    holding.resolve();
    await release.promise;
    return { stdout: "held\n" };
  });
  const first = replica.bot.handle(message("hold()"), () => undefined, PLAIN_MARKDOWN);
  await holding.promise;
  return { first, release };
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
