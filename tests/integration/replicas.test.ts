/**
 * Two bot processes, as `npm start` runs them, on one PostgreSQL and one Slack app: the fake
 * Slack spreads envelopes over both Socket Mode connections (as Slack does over up to 10) and
 * redelivers some to the other. Each request is answered once, whichever replica got it how
 * often; and when one replica is killed mid-run, the other answers its request in its thread.
 *
 * Each replica has its own sandbox scope here: a conversation's sandbox passing from one replica
 * to the other is issue #12's next step, so every thread in this file gets one message.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESTARTED_WHILE_RUNNING } from "../../src/bot/interrupted-requests.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack/fake-slack.ts";
import { type BotProcess, exitOf, fakeSlackEnv, startBotProcess } from "../helpers/bot-process.ts";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { createTestSandbox, sandboxImage } from "../helpers/sandbox.ts";
import { waitUntil } from "../helpers/wait-until.ts";

const SCOPES = [`replica-a-${process.pid}`, `replica-b-${process.pid}`];
let slack: FakeSlack;
let postgres: TestPostgres;
const started: BotProcess[] = [];

beforeAll(async () => {
  await sandboxImage();
  slack = await startFakeSlack();
  postgres = await startTestPostgres();
}, 900_000);

afterAll(async () => {
  for (const bot of started) {
    bot.kill("SIGTERM");
    await exitOf(bot);
  }
  await slack?.close();
  await postgres?.stop();
  for (const scope of SCOPES) await (await createTestSandbox({}, scope)).cleanup();
});

/** Two replicas on a new database; the first holds Socket Mode connection 0, the second 1. */
async function startReplicas(): Promise<[BotProcess, BotProcess]> {
  const databaseUrl = await postgres.createDatabase();
  const replicas: BotProcess[] = [];
  for (const scope of SCOPES) {
    const connected = slack.openSockets();
    const bot = startBotProcess(
      {
        ...fakeSlackEnv(slack),
        DATABASE_URL: databaseUrl,
        SANDBOX_IMAGE: await sandboxImage(),
        SANDBOX_SCOPE: scope,
        SANDBOX_POOL_SIZE: "0",
        LOG_LEVEL: "warn",
      },
      await mkdtemp(path.join(tmpdir(), `cib-${scope}-`)),
    );
    started.push(bot);
    replicas.push(bot);
    await waitUntil(
      `replica ${scope}'s Socket Mode connection`,
      () => slack.openSockets() > connected,
      60_000,
    );
  }
  const [a, b] = replicas;
  if (!a || !b) throw new Error("two replicas expected");
  return [a, b];
}

function threadText(rootTs: string): string {
  return slack.messages
    .filter((m) => m.thread_ts === rootTs)
    .map((m) => m.text)
    .join("\n");
}

function marked(ts: string, name: string): boolean {
  return slack.reactions.some((r) => r.timestamp === ts && r.name === name && !r.removed);
}

function mention(ts: string, code: string) {
  return {
    type: "app_mention",
    user: "U0ALICE",
    text: `<@${slack.botUserId}> \`\`\`python\n${code}\n\`\`\``,
    ts,
    channel: "C0GENERAL",
  };
}

describe("two replicas on one PostgreSQL", () => {
  it("answer each request once, however Slack spreads and redelivers it", async () => {
    const replicas = await startReplicas();
    try {
      const roots = Array.from({ length: 6 }, () => slack.nextTs());
      await Promise.all(
        roots.map(async (ts, index) => {
          const event = mention(ts, `print("answer ${index}")`);
          // Delivered to one replica, and at once again to the other, as a retry.
          await Promise.all([
            slack.sendEvent(event, { connection: index % 2 }),
            slack.sendEvent(event, { connection: (index + 1) % 2, retryAttempt: 1 }),
          ]);
        }),
      );
      for (const [index, ts] of roots.entries()) {
        await waitUntil(`thread ${index}'s answer`, () => marked(ts, "white_check_mark"), 120_000);
      }
      for (const [index, ts] of roots.entries()) {
        const answers = threadText(ts).split(`answer ${index}`).length - 1;
        // Once in the code shown, once in its output: a second run would double both.
        expect(answers, threadText(ts)).toBe(2);
      }
    } finally {
      for (const replica of replicas) {
        replica.kill("SIGTERM");
        await exitOf(replica);
      }
    }
  }, 400_000);

  it("answers in its thread the request of a replica killed mid-run", async () => {
    const [a, b] = await startReplicas();
    try {
      const ts = slack.nextTs();
      await slack.sendEvent(mention(ts, "import time\ntime.sleep(600)"), { connection: 0 });
      await waitUntil("the slow run to start", () => marked(ts, "eyes"), 120_000);
      a.kill("SIGKILL");
      expect(await exitOf(a)).toBe("SIGKILL");
      // The survivor notices the silence (no heartbeat for 20 s) and answers, once.
      await waitUntil(
        "the survivor's answer",
        () => threadText(ts).includes(RESTARTED_WHILE_RUNNING),
        90_000,
      );
      await waitUntil("the failed mark", () => marked(ts, "x"), 30_000);
      expect(threadText(ts).split(RESTARTED_WHILE_RUNNING)).toHaveLength(2);
      expect(b.exitCode).toBeNull();
    } finally {
      b.kill("SIGTERM");
      await exitOf(b);
    }
  }, 400_000);
});
