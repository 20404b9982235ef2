/**
 * The Discord adapter on the real discord.js, against the fake Discord (REST, gateway, CDN)
 * and the fake OpenAI server, with the real sandbox (or a given one, such as the scripted
 * FakeSandbox): what a server would see.
 */
import { DiscordAdapter } from "../../adapters/discord/discord-adapter.ts";
import type { DiscordConfig } from "../../adapters/discord/discord-config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import type { Sandbox } from "../../src/sandbox/sandbox.ts";
import type { ContractDriver, SentMessage, ThreadView } from "../contract/adapter-contract.ts";
import { FakeDiscord } from "../fakes/discord/fake-discord.ts";
import type { WireMessage } from "../fakes/discord/wire-types.ts";
import { type BotHarness, createBotHarness } from "./bot-harness.ts";

export interface DiscordHarness {
  discord: FakeDiscord;
  bot: BotHarness;
  adapter: DiscordAdapter;
  driver: DiscordDriver;
  close(): Promise<void>;
}

/** A Discord adapter pointed at `discord`, with the tests' settings unless given. */
export function fakeDiscordAdapter(
  discord: FakeDiscord,
  options: Partial<DiscordConfig> & { logger?: Logger } = {},
): DiscordAdapter {
  const { logger, ...config } = options;
  return new DiscordAdapter({
    config: {
      token: discord.token,
      apiUrl: discord.apiUrl,
      guildId: null,
      ignoreOtherBots: true,
      uploadLimitBytes: 10 * 1024 * 1024,
      ...config,
    },
    logger: logger ?? silentLogger(),
    progressIntervalMs: 200,
  });
}

export async function createDiscordHarness(
  options: {
    env?: Record<string, string>;
    sandbox?: Sandbox;
    guildCommands?: boolean;
    uploadLimitBytes?: number;
    /** Where the adapter and the bot log; silent by default. */
    logger?: Logger;
    /** The bot token the fake expects and the adapter is given. */
    token?: string;
    /** The OpenAI key the fake model server expects and the bot is given. */
    apiKey?: string;
  } = {},
): Promise<DiscordHarness> {
  const discord = await FakeDiscord.start({
    heartbeatIntervalMs: 1_000,
    ...(options.token ? { token: options.token } : {}),
  });
  const bot = await createBotHarness({ MAX_ATTACHMENT_MB: "1", ...options.env }, true, {
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  const adapter = fakeDiscordAdapter(discord, {
    guildId: options.guildCommands === false ? null : discord.guild.id,
    ...(options.uploadLimitBytes ? { uploadLimitBytes: options.uploadLimitBytes } : {}),
    logger: options.logger?.child({ platform: "discord" }) ?? silentLogger(),
  });
  await adapter.start(bot.bot);
  return {
    discord,
    bot,
    adapter,
    driver: new DiscordDriver(discord),
    async close() {
      await adapter.stop();
      await bot.close();
      await discord.close();
    },
  };
}

type Upload = { name: string; data: Buffer; mimeType: string };

/** Plays a Discord user through gateway dispatches, and reads what the bot posted in the fake. */
export class DiscordDriver implements ContractDriver {
  private readonly sent = new Map<string, WireMessage>();

  constructor(private readonly discord: FakeDiscord) {}

  /** A user mentions the bot in the channel; the bot's thread takes the message's id. */
  async startThread(text: string, attachments: Upload[] = []): Promise<SentMessage> {
    const message = this.discord.userMessage({
      content: text,
      mentionsBot: true,
      attachments: attachments.map((file) => this.discord.cdn.add(file.name, file.data, file.mimeType)),
    });
    this.sent.set(message.id, message);
    return { thread: message.id, messageId: message.id };
  }

  async reply(thread: string, text: string): Promise<SentMessage> {
    const message = this.discord.userMessage({ channel: thread, content: text });
    this.sent.set(message.id, message);
    return { thread, messageId: message.id };
  }

  async dm(text: string, attachments: Upload[] = []): Promise<SentMessage> {
    const message = this.discord.dm({
      content: text,
      attachments: attachments.map((file) => this.discord.cdn.add(file.name, file.data, file.mimeType)),
    });
    this.sent.set(message.id, message);
    return { thread: message.channel_id, messageId: message.id };
  }

  async redeliver(message: SentMessage): Promise<void> {
    const original = this.sent.get(message.messageId);
    if (original) this.discord.dispatch("MESSAGE_CREATE", original);
  }

  async waitForReply(message: SentMessage, timeoutMs = 60_000): Promise<"done" | "failed"> {
    return this.discord.waitFor(
      () => {
        const marks = this.discord.reactions.filter((r) => r.message_id === message.messageId && !r.removed);
        if (marks.some((r) => r.emoji === "✅")) return "done";
        if (marks.some((r) => r.emoji === "❌")) return "failed";
        return undefined;
      },
      { timeoutMs, description: `a finished reply to ${message.messageId}` },
    );
  }

  view(thread: string): ThreadView {
    const messages = this.discord.messagesIn(thread);
    const files = messages.flatMap((m) =>
      m.attachments.map((file) => ({ name: file.name, data: file.data })),
    );
    return {
      texts: messages.map((m) => m.content).filter((text) => text !== ""),
      images: files.filter((file) => file.name.endsWith(".png")).map((file) => file.data),
      files,
    };
  }
}
