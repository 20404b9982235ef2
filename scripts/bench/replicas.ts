/**
 * (k) Requests per second with one bot process and with two, as `npm start` runs them: one
 * PostgreSQL (DATABASE_URL), one SESSIONS_DIR, one SANDBOX_SCOPE on one Docker engine, and one
 * Slack app, whose envelopes the fake Slack spreads over both Socket Mode connections as Slack
 * does. With no model configured the bot runs a mention's ```python block itself, so a request is
 * a mention with a small computation, each in a thread of its own; all are sent at once and the
 * clock stops when every one has its ✅. The replicas share this machine's CPUs and its one Docker
 * engine, so the ratio shows what a second process adds here, not on a second machine.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Dockerode from "dockerode";
import type { Logger } from "../../src/logger.ts";
import { ContainerRuntime } from "../../src/sandbox/container-runtime.ts";
import type { SandboxLimits } from "../../src/sandbox/limits.ts";
import { type FakeSlack, startFakeSlack } from "../../tests/fakes/slack/fake-slack.ts";
import { type BotProcess, exitOf, fakeSlackEnv, startBotProcess } from "../../tests/helpers/bot-process.ts";
import { pollUntil } from "../../tests/helpers/poll-until.ts";
import { startTestPostgres, type TestPostgres } from "../../tests/helpers/postgres.ts";

const CODE = "print(sum(range(10**6)))";
const USERS = 10;

export interface ReplicasContext {
  docker: Dockerode;
  image: string;
  limits: SandboxLimits;
  logger: Logger;
  requests: number;
  /** Settings every replica gets besides the bench's own (the OCI runtime, DOCKER_HOST). */
  env: Record<string, string>;
  log: (line: string) => void;
}

export interface Throughput {
  replicas: number;
  requests: number;
  answered: number;
  seconds: number;
  /** Answered requests per second of wall time. */
  rps: number;
}

export type ReplicasResult =
  | { one: Throughput; two: Throughput; settings: string; skipped: null }
  | { skipped: string };

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];

export async function measureReplicas(context: ReplicasContext): Promise<ReplicasResult> {
  let postgres: TestPostgres;
  try {
    postgres = await startTestPostgres();
  } catch (error) {
    return { skipped: `no PostgreSQL to share: ${firstLine(error)}` };
  }
  const slack = await startFakeSlack();
  const scope = `bench-replicas-${process.pid}`;
  // Both runs alike: no pool, and room for every conversation's container without suspending any.
  const settings = {
    SANDBOX_POOL_SIZE: "0",
    SANDBOX_MAX_LIVE: String(Math.max(20, context.requests + 2)),
  };
  const leftovers = new ContainerRuntime({
    docker: context.docker,
    image: context.image,
    limits: context.limits,
    scope,
    logger: context.logger,
  });
  const removeContainers = async () => {
    for (const container of await leftovers.list()) await leftovers.remove(container.id);
  };
  const run: RunContext = { ...context, slack, postgres, scope, env: { ...context.env, ...settings } };
  try {
    const one = await throughput(1, run);
    // The second run starts as clean as the first: no container of the first is left to adopt.
    await removeContainers();
    const two = await throughput(2, run);
    return {
      one,
      two,
      settings: `SANDBOX_POOL_SIZE=${settings.SANDBOX_POOL_SIZE}, SANDBOX_MAX_LIVE=${settings.SANDBOX_MAX_LIVE}, default SANDBOX_MAX_RUNNING per replica`,
      skipped: null,
    };
  } finally {
    await removeContainers().catch((error: unknown) =>
      context.log(`could not remove containers: ${firstLine(error)}`),
    );
    await slack.close();
    await postgres.stop();
  }
}

interface RunContext extends ReplicasContext {
  slack: FakeSlack;
  postgres: TestPostgres;
  scope: string;
}

/** `count` replicas on a new database; each request goes to connection index % count. */
async function throughput(count: number, context: RunContext): Promise<Throughput> {
  const { slack, requests, log } = context;
  const databaseUrl = await context.postgres.createDatabase();
  const sessionsDir = await mkdtemp(path.join(tmpdir(), "cib-bench-sessions-"));
  const dirs = [sessionsDir];
  const replicas: BotProcess[] = [];
  const printed: string[] = [];
  const marked = (ts: string, name: string) =>
    slack.reactions.some((r) => r.timestamp === ts && r.name === name && !r.removed);
  const done = (ts: string) => marked(ts, "white_check_mark") || marked(ts, "x");
  const mention = (ts: string, index: number) => ({
    type: "app_mention",
    user: `U0BENCH${index % USERS}`,
    text: `<@${slack.botUserId}> \`\`\`python\n${CODE}\n\`\`\``,
    ts,
    channel: "C0GENERAL",
  });
  try {
    for (let index = 0; index < count; index += 1) {
      const dataDir = await mkdtemp(path.join(tmpdir(), "cib-bench-replica-"));
      dirs.push(dataDir);
      const connected = slack.openSockets();
      const bot = startBotProcess(
        {
          ...fakeSlackEnv(slack),
          ...context.env,
          DATABASE_URL: databaseUrl,
          SANDBOX_IMAGE: context.image,
          SANDBOX_SCOPE: context.scope,
          SESSIONS_DIR: sessionsDir,
          LOG_LEVEL: "warn",
        },
        dataDir,
      );
      replicas.push(bot);
      const keep = (chunk: Buffer) => {
        printed.push(`replica ${index}: ${chunk.toString()}`);
        printed.splice(0, Math.max(0, printed.length - 40));
      };
      bot.stdout.on("data", keep);
      bot.stderr.on("data", keep);
      await pollUntil(
        `replica ${index}'s Socket Mode connection`,
        () => slack.openSockets() > connected,
        120_000,
      );
    }
    // One request per replica first, so each has made its database pool and first container.
    log(`(k) ${count} replica(s): warming up`);
    const warmUps = replicas.map(() => slack.nextTs());
    await Promise.all(warmUps.map((ts, index) => slack.sendEvent(mention(ts, index), { connection: index })));
    await pollUntil("the warm-up answers", () => warmUps.every(done), 300_000);

    log(`(k) ${count} replica(s): ${requests} requests at once`);
    const roots = Array.from({ length: requests }, () => slack.nextTs());
    const started = performance.now();
    await Promise.all(
      roots.map((ts, index) => slack.sendEvent(mention(ts, index), { connection: index % count })),
    );
    await pollUntil("every request's answer", () => roots.every(done), 900_000, 10);
    const seconds = (performance.now() - started) / 1000;
    const answered = roots.filter((ts) => marked(ts, "white_check_mark")).length;
    if (answered < requests) log(`(k) ${requests - answered} request(s) failed:\n${printed.join("")}`);
    return { replicas: count, requests, answered, seconds, rps: answered / seconds };
  } catch (error) {
    throw new Error(`${firstLine(error)}\n${printed.join("")}`, { cause: error });
  } finally {
    for (const bot of replicas) await stopBot(bot);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

/** SIGTERM, as a service manager stops it; SIGKILL if it has not stopped after 30 s. */
async function stopBot(bot: BotProcess): Promise<void> {
  bot.kill("SIGTERM");
  const timer = setTimeout(() => bot.kill("SIGKILL"), 30_000);
  try {
    await exitOf(bot);
  } finally {
    clearTimeout(timer);
  }
}
