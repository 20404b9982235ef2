/**
 * The admins' `status` command through the core: the real model client against the fake
 * server, the scripted sandbox, a real SQLite store. An admin gets the bot's state and today's
 * usage; anyone else is told it is for admins; neither starts a sandbox.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { AccessGate } from "../../src/access/access-decision.ts";
import { STATUS_FOR_ADMINS_TEXT, statusText } from "../../src/bot/status-report.ts";
import { zeroTotals } from "../../src/usage/totals.ts";
import { ofType } from "../helpers/bot-harness.ts";
import { createUsageHarness, type UsageHarness } from "../helpers/usage-harness.ts";

const T0 = Date.UTC(2026, 11, 2, 15, 30);
const harnesses: UsageHarness[] = [];

afterAll(async () => {
  for (const h of harnesses) await h.close();
});

const access: AccessGate = {
  decide: (message) => ({ allowed: true, admin: message.author.id === "boss", reason: "test rules" }),
};

describe("the status command", () => {
  it("tells an admin the version, uptime, platforms, model, sandboxes, queue and today's usage", async () => {
    const h = await createUsageHarness({
      now: T0,
      access,
      env: { PRICE_INPUT_PER_MILLION: "2.5", PRICE_OUTPUT_PER_MILLION: "10" },
      status: {
        version: "1.2.3",
        startedAt: T0 - (3 * 60 + 12) * 60_000,
        platforms: () => ["slack", "discord"],
        sandbox: () => ({ live: 5, pooled: 2, running: 1, waiting: 3, maxLive: 20, maxRunning: 4 }),
      },
    });
    harnesses.push(h);
    h.fake.enqueue({ kind: "reply", content: "Hi Ada." }, { kind: "reply", content: "Hi Bob." });
    await h.adapter.send({ text: "hello", author: "ada", thread: "a" });
    await h.adapter.send({ text: "hello", author: "bob", thread: "b" });
    const rows = await h.store.listRequestUsage({ since: 0 });
    const tokens = rows.reduce((sum, row) => sum + row.inputTokens + row.outputTokens, 0);
    const before = h.acquired.length;

    const answer = ofType(
      await h.adapter.send({ text: "", command: "status", author: "boss", thread: "s" }),
      "text",
    );
    const lines = answer[0]?.text.split("\n") ?? [];
    expect(lines[0]).toBe("code-interpreter-bot 1.2.3, up 3 h 12 min.");
    expect(lines[1]).toBe("• Platforms: slack, discord. Model: fake-model.");
    expect(lines[2]).toBe(
      "• Sandboxes: 5 live of 20 (2 warm in the pool), 1 running code of 4, 3 waiting in the queue.",
    );
    expect(lines[3]).toContain(
      `• Today (UTC): 2 requests from 2 people, ${tokens.toLocaleString("en-US")} model tokens`,
    );
    expect(lines[3]).toMatch(/about \$\d+\.\d\d\.$/);
    expect(h.acquired.length).toBe(before);
  });

  it("tells anyone else that it is for admins", async () => {
    const h = await createUsageHarness({ now: T0, access });
    harnesses.push(h);
    const answer = ofType(
      await h.adapter.send({ text: "", command: "status", author: "ada", thread: "s" }),
      "text",
    );
    expect(answer.map((event) => event.text)).toEqual([STATUS_FOR_ADMINS_TEXT]);
    expect(h.acquired).toEqual([]);
  });

  it("says the cost is unknown without prices, and words a quiet day", () => {
    const text = statusText({
      version: "0.1.0",
      uptimeMs: 2 * 86_400_000 + 5 * 3_600_000,
      platforms: ["web"],
      model: null,
      sandbox: null,
      state: null,
      today: zeroTotals(),
      people: 0,
      prices: null,
    });
    expect(text).toBe(
      [
        "code-interpreter-bot 0.1.0, up 2 d 5 h.",
        "• Platforms: web. Model: none (only ```python blocks run).",
        "• Sandboxes: not reported by this sandbox.",
        "• Today (UTC): 0 requests from 0 people, 0 model tokens (0 in, 0 out), 0 code runs, 0 s of sandbox time, cost unknown (set PRICE_INPUT_PER_MILLION and PRICE_OUTPUT_PER_MILLION).",
      ].join("\n"),
    );
  });

  it("says where the state is, and how many bot processes share it", () => {
    const facts = {
      version: "0.1.0",
      uptimeMs: 0,
      platforms: ["slack"],
      model: null,
      sandbox: null,
      today: zeroTotals(),
      people: 0,
      prices: null,
    };
    const alone = statusText({
      ...facts,
      state: { database: "SQLite at /data/bot.sqlite", replicasAlive: 1, replicaId: "r" },
    });
    expect(alone.split("\n").at(-1)).toBe("• State: SQLite at /data/bot.sqlite.");
    const shared = statusText({
      ...facts,
      state: {
        database: "PostgreSQL at postgres://bot@db:5432/bot",
        replicasAlive: 3,
        replicaId: "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809",
      },
    });
    expect(shared.split("\n").at(-1)).toBe(
      "• State: PostgreSQL at postgres://bot@db:5432/bot, shared by 3 bot processes (this one is 1a2b3c4d).",
    );
  });
});
