/**
 * The chat platforms, for the composition roots (main.ts and cli.ts): each platform's settings,
 * read with the core's so that every problem is reported at once, and its adapter. The only
 * place in src/ besides main.ts that knows the adapters.
 */
import { DiscordAdapter } from "../adapters/discord/discord-adapter.ts";
import { type DiscordConfig, readDiscordConfig } from "../adapters/discord/discord-config.ts";
import { SlackAdapter } from "../adapters/slack/slack-adapter.ts";
import { readSlackConfig, type SlackConfig } from "../adapters/slack/slack-config.ts";
import { WebAdapter } from "../adapters/web/web-adapter.ts";
import { readWebConfig, type WebConfig } from "../adapters/web/web-config.ts";
import type { ChatAdapter } from "./bot/adapter.ts";
import { type Config, ConfigError, type Env, EnvReader, loadConfig } from "./config.ts";
import type { Logger } from "./logger.ts";

export interface PlatformSettings {
  /** Null when Slack is not configured. */
  slack: SlackConfig | null;
  /** Null when Discord is not configured. */
  discord: DiscordConfig | null;
  /** Null when the web chat is off: a chat platform is configured and WEB_ENABLED is not true. */
  web: WebConfig | null;
}

/** The settings of every platform, and what is wrong with them. */
export function readPlatformSettings(env: Env): { settings: PlatformSettings; problems: string[] } {
  const read = new EnvReader(env);
  const slack = readSlackConfig(read);
  const discord = readDiscordConfig(read);
  const web = readWebConfig(read, slack !== null || discord !== null);
  return { settings: { slack, discord, web }, problems: read.problems };
}

/** The bot's whole configuration; throws one ConfigError that lists every problem, core and platforms. */
export function loadBotConfig(
  env: Env = process.env,
  cwd: string = process.cwd(),
): { config: Config; platforms: PlatformSettings } {
  const { settings, problems } = readPlatformSettings(env);
  let config: Config | null = null;
  const all: string[] = [];
  try {
    config = loadConfig(env, cwd);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    all.push(...error.problems);
  }
  all.push(...problems);
  if (all.length > 0 || config === null) throw new ConfigError(all);
  return { config, platforms: settings };
}

export function createAdapters(platforms: PlatformSettings, config: Config, logger: Logger): ChatAdapter[] {
  const adapters: ChatAdapter[] = [];
  if (platforms.slack) {
    adapters.push(new SlackAdapter({ config: platforms.slack, logger: logger.child({ platform: "slack" }) }));
  }
  if (platforms.discord) {
    adapters.push(
      new DiscordAdapter({ config: platforms.discord, logger: logger.child({ platform: "discord" }) }),
    );
  }
  if (platforms.web) {
    adapters.push(
      new WebAdapter({
        config: platforms.web,
        dataDir: config.dataDir,
        maxAttachmentBytes: config.agent.maxAttachmentBytes,
        modelConfigured: config.model.apiKey !== null,
        logger: logger.child({ platform: "web" }),
      }),
    );
  }
  return adapters;
}
