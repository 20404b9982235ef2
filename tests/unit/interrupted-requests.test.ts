/**
 * What the next start does with the requests a killed process left open: each is answered in
 * its thread through its platform's adapter, with what it was doing, and forgotten; one whose
 * platform is not configured waits a day for it; nothing here can stop the bot from starting.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { ChatAdapter, ReopenedReply } from "../../src/bot/adapter.ts";
import {
  answerInterruptedRequests,
  RESTARTED_WHILE_RUNNING,
  RESTARTED_WHILE_WAITING,
} from "../../src/bot/interrupted-requests.ts";
import { silentLogger } from "../../src/logger.ts";
import { PLAIN_MARKDOWN } from "../../src/present/chat-formatting.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import type { ShownStatus } from "../../src/present/surface.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite-store.ts";
import type { OpenRequest, ReplyAddress } from "../../src/store/types.ts";

const HOUR = 60 * 60 * 1000;
const NOW = 100 * HOUR;
const stores: SqliteStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function openStore(): SqliteStore {
  const store = openSqliteStore({ path: ":memory:", logger: silentLogger() });
  stores.push(store);
  return store;
}

/** An adapter that records what each reopened reply was told. */
function recordingAdapter(platform: string, reopen?: (address: ReplyAddress) => ReopenedReply | null) {
  const replies: Array<{ address: ReplyAddress; shown: ShownStatus | null; events: ReplyEvent[] }> = [];
  const adapter: ChatAdapter = {
    platform,
    start: async () => {},
    stop: async () => {},
    reopen: async (address, shown) => {
      if (reopen) return reopen(address);
      const events: ReplyEvent[] = [];
      replies.push({ address, shown, events });
      return {
        sink: (event) => void events.push(event),
        formatting: PLAIN_MARKDOWN,
        flushed: async () => {},
      };
    },
  };
  return { adapter, replies };
}

function request(id: string, extra: Partial<OpenRequest> = {}): OpenRequest {
  return {
    id,
    platform: "slack",
    conversationKey: `slack:T:C:${id}`,
    replyAddress: { channel: "C", threadTs: id },
    receivedAt: NOW - HOUR,
    startedAt: null,
    owner: null,
    ...extra,
  };
}

async function answer(store: SqliteStore, adapters: ChatAdapter[]): Promise<number> {
  const open = await store.listOpenRequests();
  return answerInterruptedRequests(open, { store, adapters, logger: silentLogger(), now: () => NOW });
}

describe("requests interrupted by a restart", () => {
  it("are answered in their threads, running and waiting ones each as they were, and forgotten", async () => {
    const store = openStore();
    await store.appendMessages("slack:T:C:run", [{ role: "user", content: "plot the sales" }]);
    await store.openRequest(request("run", { startedAt: NOW - HOUR + 5 }));
    await store.openRequest(request("wait"));
    const slack = recordingAdapter("slack");
    expect(await answer(store, [slack.adapter])).toBe(2);
    expect(slack.replies).toEqual([
      {
        address: { channel: "C", threadTs: "run" },
        shown: "working",
        events: [
          { type: "error", code: "restarted", text: RESTARTED_WHILE_RUNNING },
          { type: "status", status: "failed" },
        ],
      },
      {
        address: { channel: "C", threadTs: "wait" },
        shown: "queued",
        events: [
          { type: "error", code: "restarted", text: RESTARTED_WHILE_WAITING },
          { type: "status", status: "failed" },
        ],
      },
    ]);
    expect(await store.listOpenRequests()).toEqual([]);
    // The model will read that its last question went unanswered, not a silent gap.
    const history = (await store.listMessages("slack:T:C:run")).map((m) => m.message);
    expect(history.at(-1)).toMatchObject({
      role: "assistant",
      content: expect.stringContaining("restarted"),
    });
  });

  it("wait a day for a platform that is not configured now, then are dropped", async () => {
    const store = openStore();
    await store.openRequest(request("fresh", { platform: "discord" }));
    await store.openRequest(request("stale", { platform: "discord", receivedAt: NOW - 25 * HOUR }));
    expect(await answer(store, [recordingAdapter("slack").adapter])).toBe(0);
    expect((await store.listOpenRequests()).map((r) => r.id)).toEqual(["fresh"]);
  });

  it("are forgotten when their thread is gone, and kept for the next start when the platform fails", async () => {
    const store = openStore();
    await store.openRequest(request("gone"));
    const gone = recordingAdapter("slack", () => null);
    expect(await answer(store, [gone.adapter])).toBe(0);
    expect(await store.listOpenRequests()).toEqual([]);
    await store.openRequest(request("down"));
    const down = recordingAdapter("slack", () => {
      throw new Error("Slack is unreachable");
    });
    expect(await answer(store, [down.adapter])).toBe(0);
    expect((await store.listOpenRequests()).map((r) => r.id)).toEqual(["down"]);
  });

  it("read a stored address that is not an object of strings without what does not fit", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "cib-open-")), "bot.sqlite");
    const store = openSqliteStore({ path: file, logger: silentLogger() });
    stores.push(store);
    const raw = new Database(file);
    const insert = raw.prepare(
      "INSERT INTO open_requests (id, platform, conversation_key, reply_address, received_at) VALUES (?, 'slack', 'k', ?, 1)",
    );
    insert.run("text", "not json");
    insert.run("list", "[1, 2]");
    insert.run("mixed", '{"channel": "C", "threadTs": 5, "reactTo": null}');
    raw.close();
    const addresses = Object.fromEntries((await store.listOpenRequests()).map((r) => [r.id, r.replyAddress]));
    expect(addresses).toEqual({ text: {}, list: {}, mixed: { channel: "C", reactTo: null } });
  });
});
