import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { loadBotConfig, readPlatformSettings } from "../../src/platforms.ts";

describe("platform settings", () => {
  it("reports the core's and every platform's problems in one error", () => {
    let caught: unknown;
    try {
      loadBotConfig({ SANDBOX_MEMORY_MB: "lots", SLACK_BOT_TOKEN: "xoxp-user-token" }, "/srv/bot");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      "SANDBOX_MEMORY_MB=lots is not a whole number from 128 to 262144.",
      "SLACK_BOT_TOKEN must be a bot token (xoxb-…).",
      "Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) besides SLACK_BOT_TOKEN.",
    ]);
  });

  it("reads Slack's settings with the platform, and none when Slack is not configured", () => {
    const { config, platforms } = loadBotConfig(
      { SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1", SLACK_API_URL: "http://127.0.0.1:9/api" },
      "/srv/bot",
    );
    expect(config.dataDir).toBe("/srv/bot/.data");
    expect(platforms.slack).toMatchObject({
      botToken: "xoxb-1",
      appToken: "xapp-1",
      apiUrl: "http://127.0.0.1:9/api/",
    });
    expect(readPlatformSettings({}).settings.slack).toBeNull();
    expect(readPlatformSettings({}).problems).toEqual([]);
  });

  it("reads Discord's settings beside Slack's, and checks them", () => {
    const token = "MTAxMDEwMTAxMDEwMTAxMDEw.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB";
    const { platforms } = loadBotConfig(
      { DISCORD_TOKEN: token, DISCORD_GUILD_ID: "123456789012345678" },
      "/srv/bot",
    );
    expect(platforms.discord).toEqual({
      token,
      apiUrl: "https://discord.com/api",
      guildId: "123456789012345678",
      ignoreOtherBots: true,
      uploadLimitBytes: 10 * 1024 * 1024,
    });
    expect(
      readPlatformSettings({ DISCORD_TOKEN: "client-secret", DISCORD_GUILD_ID: "general" }).problems,
    ).toEqual([
      "DISCORD_TOKEN does not look like a bot token (Developer Portal → your app → Bot → Reset Token).",
      "DISCORD_GUILD_ID=general is not a Discord id (a long number).",
    ]);
  });
});
