/**
 * `npm start` as a separate process (src/main.ts under tsx), for tests that need the real
 * composition root: its start-up, its signals, or its death.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import path from "node:path";
import type { Readable } from "node:stream";
import type { FakeDiscord } from "../fakes/discord/fake-discord.ts";
import type { FakeSlack } from "../fakes/slack/fake-slack.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The settings that point the bot at the fake Slack, in Socket Mode. */
export function fakeSlackEnv(slack: FakeSlack): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_API_URL: slack.apiUrl,
  };
}

/** The settings that point the bot at the fake Slack (Socket Mode) and the fake Discord. */
export function fakePlatformsEnv(slack: FakeSlack, discord: FakeDiscord): Record<string, string> {
  return {
    ...fakeSlackEnv(slack),
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_GUILD_ID: discord.guild.id,
  };
}

export type BotProcess = ChildProcessByStdio<null, Readable, Readable>;

/** Only the given settings reach it (no .env): PATH, HOME, DATA_DIR and the ops port off unless asked. */
export function startBotProcess(env: Record<string, string>, dataDir?: string): BotProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...(dataDir ? { DATA_DIR: dataDir } : {}),
      METRICS_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface BotExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** For start-up checks: runs the bot until it stops by itself, with what it printed. */
export function runBotUntilExit(env: Record<string, string>): Promise<BotExit> {
  const child = startBotProcess(env);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // "close", not "exit": it comes after both streams have ended, so nothing printed is missed.
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The exit code, or the signal that ended it. */
export function exitOf(child: BotProcess): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode ?? child.signalCode);
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
}
