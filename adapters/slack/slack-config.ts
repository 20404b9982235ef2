/** Slack's settings, read and checked with the core's EnvReader so every problem is reported at once. */
import type { EnvReader } from "../../src/config.ts";

export interface SlackConfig {
  botToken: string;
  /** Socket Mode when set (no public URL needed); HTTP mode otherwise. */
  appToken: string | null;
  signingSecret: string | null;
  apiUrl: string;
  port: number;
  slashCommand: string;
  ignoreOtherBots: boolean;
}

/** Null when Slack is not configured (no SLACK_BOT_TOKEN). */
export function readSlackConfig(read: EnvReader): SlackConfig | null {
  const botToken = read.optionalString("SLACK_BOT_TOKEN");
  const appToken = read.optionalString("SLACK_APP_TOKEN");
  const signingSecret = read.optionalString("SLACK_SIGNING_SECRET");
  const apiUrl = read.url("SLACK_API_URL") ?? "https://slack.com/api/";
  const port = read.number("SLACK_PORT", 3000, 1, 65_535);
  const slashCommand = read.string("SLACK_SLASH_COMMAND", "/python");
  const ignoreOtherBots = read.boolean("SLACK_IGNORE_BOTS", true);
  if (!botToken) {
    if (appToken || signingSecret)
      read.problem("SLACK_BOT_TOKEN is missing (SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set).");
    return null;
  }
  if (!botToken.startsWith("xoxb-")) read.problem("SLACK_BOT_TOKEN must be a bot token (xoxb-…).");
  if (appToken && !appToken.startsWith("xapp-"))
    read.problem("SLACK_APP_TOKEN must be an app-level token (xapp-…).");
  if (!appToken && !signingSecret) {
    read.problem(
      "Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) besides SLACK_BOT_TOKEN.",
    );
  }
  if (!slashCommand.startsWith("/")) read.problem(`SLACK_SLASH_COMMAND=${slashCommand} must start with /.`);
  return {
    botToken,
    appToken,
    signingSecret,
    apiUrl: apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/`,
    port,
    slashCommand,
    ignoreOtherBots,
  };
}
