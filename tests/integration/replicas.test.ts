/**
 * Two bot processes, as `npm start` runs them, on one PostgreSQL and one Slack app: the fake
 * Slack spreads envelopes over both Socket Mode connections (as Slack does over up to 10) and
 * redelivers some to the other. Each request is answered once, whichever replica got it how
 * often; and when one replica is killed mid-run, the other answers its request in its thread.
 *
 * Both replicas share one Docker engine, one sandbox scope and one SESSIONS_DIR, as the README
 * tells an admin to run them: a conversation's sandbox passes from one to the other with its
 * variables and files, and when one dies mid-queue the other finishes the thread.
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

const SCOPE = `replicas-${process.pid}`;
/** What the replicas printed (their warnings and errors), for a failure's message. */
const printed: string[] = [];
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
  await (await createTestSandbox({}, SCOPE)).cleanup();
});

/** Two replicas on a new database; the first holds Socket Mode connection 0, the second 1. */
async function startReplicas(): Promise<[BotProcess, BotProcess]> {
  const databaseUrl = await postgres.createDatabase();
  const sessionsDir = await mkdtemp(path.join(tmpdir(), "cib-replica-sessions-"));
  const replicas: BotProcess[] = [];
  for (const name of ["a", "b"]) {
    const connected = slack.openSockets();
    const bot = startBotProcess(
      {
        ...fakeSlackEnv(slack),
        DATABASE_URL: databaseUrl,
        SANDBOX_IMAGE: await sandboxImage(),
        SANDBOX_SCOPE: SCOPE,
        SESSIONS_DIR: sessionsDir,
        SANDBOX_POOL_SIZE: "0",
        LOG_LEVEL: "info",
      },
      await mkdtemp(path.join(tmpdir(), `cib-replica-${name}-`)),
    );
    started.push(bot);
    replicas.push(bot);
    bot.stderr.on("data", (chunk: Buffer) => {
      printed.push(`${name}: ${chunk.toString()}`);
    });
    bot.stdout.on("data", (chunk: Buffer) => {
      printed.push(`${name}: ${chunk.toString()}`);
    });
    await waitUntil(
      `replica ${name}'s Socket Mode connection`,
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

/** A mention with a ```python block; in the thread of `threadTs` when given. */
function mention(ts: string, code: string, threadTs?: string) {
  return {
    type: "app_mention",
    user: "U0ALICE",
    text: `<@${slack.botUserId}> \`\`\`python\n${code}\n\`\`\``,
    ts,
    channel: "C0GENERAL",
    ...(threadTs ? { thread_ts: threadTs } : {}),
  };
}

/** Sends a reply in `rootTs`'s thread to one replica's connection and waits for its ✅. */
async function replyVia(connection: number, rootTs: string, code: string): Promise<string> {
  const ts = slack.nextTs();
  await slack.sendEvent(mention(ts, code, rootTs), { connection });
  await waitUntil(`the answer to ${code}`, () => marked(ts, "white_check_mark") || marked(ts, "x"), 120_000);
  return ts;
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

  it("continue on one replica a conversation the other started, with its variables and files", async () => {
    const replicas = await startReplicas();
    try {
      const root = slack.nextTs();
      await slack.sendEvent(
        mention(root, "x = 41\nopen('/mnt/data/note.txt', 'w').write('kept')\nprint('started')"),
        { connection: 0 },
      );
      await waitUntil("the first answer", () => marked(root, "white_check_mark"), 120_000);
      // The next messages alternate between the replicas: each adopts the sandbox the other let go.
      await replyVia(1, root, "x += 1\nprint('x is', x, open('/mnt/data/note.txt').read())");
      await replyVia(0, root, "print('then', x * 2)");
      const text = threadText(root);
      expect(text).toContain("x is 42 kept");
      expect(text).toContain("then 84");
      expect(text).not.toMatch(/NameError|FileNotFoundError/);
      // One channel to the sandbox at a time: each replica let go of it before the other took it,
      // so neither saw the other's traffic.
      expect(printed.join("")).not.toContain("no request waited for");
      expect(printed.join("")).not.toContain("no request waits for");
    } finally {
      for (const replica of replicas) {
        replica.kill("SIGTERM");
        await exitOf(replica);
      }
    }
  }, 400_000);

  it("finishes the thread on the survivor when the replica running it is killed mid-queue", async () => {
    const [a, b] = await startReplicas();
    try {
      const root = slack.nextTs();
      await slack.sendEvent(mention(root, "y = 6"), { connection: 0 });
      await waitUntil("the first answer", () => marked(root, "white_check_mark"), 120_000);
      await slack.sendEvent(mention(slack.nextTs(), "import time\ntime.sleep(600)", root), { connection: 0 });
      await waitUntil("the slow run to start", () => threadText(root).includes("time.sleep(600)"), 120_000);
      // Queued on B behind A's run: it waits for the conversation's turn.
      const queued = slack.nextTs();
      await slack.sendEvent(mention(queued, "print('y times 7 is', y * 7)", root), { connection: 1 });
      await waitUntil("the queued mark", () => marked(queued, "hourglass_flowing_sand"), 60_000);
      a.kill("SIGKILL");
      expect(await exitOf(a)).toBe("SIGKILL");
      // B answers A's request once, then runs its own in the sandbox A left, where y is still 6.
      await waitUntil("the queued message's answer", () => marked(queued, "white_check_mark"), 120_000);
      // Whichever comes first: B takes the turn A held, and B answers A's orphaned request.
      await waitUntil(
        "the orphan's answer",
        () => threadText(root).includes(RESTARTED_WHILE_RUNNING),
        60_000,
      );
      const text = threadText(root);
      expect(text.split(RESTARTED_WHILE_RUNNING)).toHaveLength(2);
      expect(text, printed.join("")).toContain("y times 7 is 42");
      expect(b.exitCode).toBeNull();
    } finally {
      b.kill("SIGTERM");
      await exitOf(b);
    }
  }, 400_000);
});
