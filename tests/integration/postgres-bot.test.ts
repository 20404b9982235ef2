/**
 * The bot as `npm start` runs it, with DATABASE_URL on a real PostgreSQL: the conversation,
 * the sandbox it uses and the usage live in the database, so a second process with an empty
 * DATA_DIR (another machine, say) continues the thread, and `usage` reports what both did.
 */
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../fakes/slack/fake-slack.ts";
import { type BotProcess, exitOf, fakeSlackEnv, startBotProcess } from "../helpers/bot-process.ts";
import { runCliCaptured } from "../helpers/cli.ts";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { createTestSandbox, sandboxImage } from "../helpers/sandbox.ts";
import { waitUntil } from "../helpers/wait-until.ts";

const SCOPE = `postgres-bot-${process.pid}`;
const ROOT_TS = "1960000000.000100";
let slack: FakeSlack;
let postgres: TestPostgres;
let databaseUrl: string;
/** The test server trusts local connections, so any password works; it must never be printed. */
const PASSWORD = `pg-secret-${process.pid}`;
let printed = "";

beforeAll(async () => {
  await sandboxImage();
  slack = await startFakeSlack();
  postgres = await startTestPostgres();
  const url = new URL(await postgres.createDatabase());
  url.password = PASSWORD;
  databaseUrl = url.toString();
}, 900_000);

afterAll(async () => {
  await slack?.close();
  await postgres?.stop();
  const sandbox = await createTestSandbox({}, SCOPE);
  await sandbox.cleanup();
});

async function startBot(dataDir: string): Promise<BotProcess> {
  const bot = startBotProcess(
    {
      ...fakeSlackEnv(slack),
      DATABASE_URL: databaseUrl,
      SANDBOX_IMAGE: await sandboxImage(),
      SANDBOX_SCOPE: SCOPE,
      SANDBOX_POOL_SIZE: "0",
      // Every log line, to check that none carries the database password.
      LOG_LEVEL: "debug",
    },
    dataDir,
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    printed += chunk.toString();
  };
  bot.stdout.on("data", keep);
  bot.stderr.on("data", keep);
  bot.once("exit", (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`bot exited with ${code}:\n${output}\n`);
  });
  return bot;
}

async function stop(bot: BotProcess): Promise<void> {
  bot.kill("SIGTERM");
  await exitOf(bot);
}

function thread(): string {
  return slack.messages
    .filter((m) => m.thread_ts === ROOT_TS)
    .map((m) => m.text)
    .join("\n");
}

function done(ts: string): boolean {
  return slack.reactions.some((r) => r.timestamp === ts && r.name === "white_check_mark" && !r.removed);
}

describe("the bot on PostgreSQL", () => {
  it("continues a thread from another process with an empty DATA_DIR, and reports both in usage", async () => {
    const firstDir = await mkdtemp(path.join(tmpdir(), "cib-pg-first-"));
    const first = await startBot(firstDir);
    try {
      await slack.waitForSocket(1, 60_000);
      await slack.sendEvent({
        type: "app_mention",
        user: "U0ALICE",
        text: `<@${slack.botUserId}> \`\`\`python\nx = 41\nprint("set")\n\`\`\``,
        ts: ROOT_TS,
        channel: "C0GENERAL",
      });
      await waitUntil("the first run", () => done(ROOT_TS), 120_000);
    } finally {
      await stop(first);
    }
    // The state went to PostgreSQL, not to a SQLite file in DATA_DIR.
    expect(existsSync(path.join(firstDir, "bot.sqlite"))).toBe(false);

    const secondDir = await mkdtemp(path.join(tmpdir(), "cib-pg-second-"));
    const connected = slack.socketConnections();
    const second = await startBot(secondDir);
    try {
      await slack.waitForSocket(connected + 1, 60_000);
      const next = slack.nextTs();
      await slack.sendEvent({
        type: "app_mention",
        user: "U0BOB",
        text: `<@${slack.botUserId}> \`\`\`python\nprint("x is", x + 1)\n\`\`\``,
        ts: next,
        thread_ts: ROOT_TS,
        channel: "C0GENERAL",
      });
      await waitUntil("the second run", () => done(next), 120_000);
      expect(thread()).toContain("x is 42");
    } finally {
      await stop(second);
    }

    const usage = await runCliCaptured(["usage", "--json", "--since", "1h"], {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      DATA_DIR: secondDir,
    });
    expect(usage.stderr).toBe("");
    expect(usage.code).toBe(0);
    const report = JSON.parse(usage.stdout) as { totals: { requests: number; codeRuns: number } };
    expect(report.totals).toMatchObject({ requests: 2, codeRuns: 2 });
    expect(printed).toContain("PostgreSQL at postgres://");
    expect(printed).not.toContain(PASSWORD);
  }, 400_000);
});
