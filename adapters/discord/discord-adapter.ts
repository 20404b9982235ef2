/**
 * Discord on discord.js 14: a mention in a channel gets a thread started from the message and
 * the answer there; messages in a thread the bot answered in are followed; DMs are one long
 * conversation; slash commands (commands in discord-commands.ts) ask, run code, reset and
 * list files. Each reply goes through the shared ReplyPresenter on a Discord surface.
 * discord.js owns the gateway (heartbeats, resume, reconnect) and the REST queue (429s).
 */
import {
  Client,
  Events,
  GatewayIntentBits,
  type Interaction,
  type Message,
  MessageFlags,
  Partials,
  type RepliableInteraction,
  type SendableChannels,
} from "discord.js";
import type { ChatAdapter, MessageHandler, ReopenedReply } from "../../src/bot/adapter.ts";
import type { IncomingMessage } from "../../src/bot/incoming-message.ts";
import { type PlatformObserver, tellPlatformObservers } from "../../src/bot/platform-observer.ts";
import { answersPrivately } from "../../src/bot/private-answer.ts";
import type { Logger } from "../../src/logger.ts";
import type { ReplySurface, ShownStatus } from "../../src/present/surface.ts";
import { newRequestId, withRequestId } from "../../src/request-context.ts";
import type { ReplyAddress } from "../../src/store/types.ts";
import {
  codeModal,
  commandDefinitions,
  readCommand,
  readModalCode,
  replyWithHelp,
} from "./discord-commands.ts";
import { BOT_PERMISSIONS, type DiscordConfig } from "./discord-config.ts";
import { discordAttachment } from "./discord-files.ts";
import { commandConversation, replyPrivately } from "./discord-private-reply.ts";
import {
  type DiscordReplyAddress,
  discordPresenter,
  followUpsIn,
  reopenDiscordReply,
} from "./discord-reopen.ts";
import { shardClientOptions } from "./discord-shards.ts";
import { gatewayReady, watchDiscordRest } from "./discord-signals.ts";
import { DiscordChannelSurface, DiscordInteractionSurface, NO_MENTIONS } from "./discord-surface.ts";
import { interactionView, messageView } from "./discord-views.ts";
import { guardDispatches } from "./dispatch-guard.ts";
import { DISCORD_FORMATTING, escapeDiscord } from "./format.ts";
import {
  conversationOf,
  type DiscordAttachmentRef,
  firstLine,
  interactionSubject,
  parseDiscordMessage,
  threadName,
} from "./parse.ts";

export interface DiscordAdapterOptions {
  config: DiscordConfig;
  logger: Logger;
  /** How often the progress message may be edited while text streams. */
  progressIntervalMs?: number;
}

export class DiscordAdapter implements ChatAdapter {
  readonly platform = "discord";
  private client: Client | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly observers: PlatformObserver[] = [];

  constructor(private readonly options: DiscordAdapterOptions) {}

  observe(observer: PlatformObserver): void {
    this.observers.push(observer);
  }

  ready(): boolean {
    return gatewayReady(this.client);
  }

  async start(handler: MessageHandler): Promise<void> {
    const { config, logger } = this.options;
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.DirectMessages,
      ],
      // DM channels are not cached before their first message arrives.
      partials: [Partials.Channel, Partials.Message],
      allowedMentions: NO_MENTIONS,
      // Every REST call has a deadline; discord.js queues and retries rate-limited ones.
      rest: { api: config.apiUrl, timeout: 30_000 },
      // A replica runs only its own shards, so Discord sends it only its guilds' events.
      ...shardClientOptions(config.shards),
    });
    guardDispatches(client, logger);
    watchDiscordRest(client, (what) => tellPlatformObservers(this.observers, logger, what));
    // Each event starts a request whose id every log line about it carries (src/request-context.ts).
    // A message discord.js built from a malformed dispatch (no author, say) must cost only itself.
    const unreadable = (error: unknown) =>
      logger.warn({ err: error }, "ignored a Discord event that could not be read");
    client.on(Events.MessageCreate, (message) =>
      withRequestId(newRequestId(), () => void this.onMessage(handler, message).catch(unreadable)),
    );
    client.on(Events.InteractionCreate, (interaction) =>
      withRequestId(newRequestId(), () => void this.onInteraction(handler, interaction).catch(unreadable)),
    );
    client.on(Events.Error, (error) => logger.error({ err: error }, "Discord client error"));
    client.on(Events.ShardDisconnect, (event, shard) =>
      logger.warn({ code: event.code, shard }, "Discord gateway disconnected"),
    );
    client.on(Events.ShardResume, (shard, replayed) =>
      logger.info({ shard, replayed }, "Discord gateway resumed"),
    );
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    await client.login(config.token);
    await ready;
    this.client = client;
    await this.registerCommands(client);
    const user = client.user;
    const { shards, shardCount } = client.options; // resolved by now: configured, or the one shard
    logger.info(
      { botUserId: user?.id, guilds: client.guilds.cache.size, shards, shardCount },
      "Discord adapter started",
    );
    if (client.guilds.cache.size === 0)
      logger.info(
        { inviteUrl: this.inviteUrl(client) },
        "the bot is in no server yet: open this link to add it",
      );
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.client?.destroy();
    this.client = null;
  }

  inviteUrl(client: Client): string {
    const id = client.application?.id ?? client.user?.id ?? "";
    return `https://discord.com/oauth2/authorize?client_id=${id}&scope=bot+applications.commands&permissions=${BOT_PERMISSIONS.bitfield}`;
  }

  private async registerCommands(client: Client): Promise<void> {
    const { guildId } = this.options.config;
    try {
      if (guildId) await client.application?.commands.set(commandDefinitions(), guildId);
      else await client.application?.commands.set(commandDefinitions());
    } catch (error) {
      // The bot still answers mentions and DMs without its commands; say why they are missing.
      this.options.logger.error({ err: error, guildId }, "could not register the slash commands");
    }
  }

  private async onMessage(handler: MessageHandler, message: Message): Promise<void> {
    // Not this.client: messages queued while discord.js loaded the guilds come before start() sets it.
    const botUserId = message.client.user?.id;
    if (!botUserId) return;
    const parsed = parseDiscordMessage(messageView(message, botUserId), {
      botUserId,
      ignoreOtherBots: this.options.config.ignoreOtherBots,
    });
    if (!parsed) return;
    try {
      const author = { id: parsed.authorId, name: message.author.username, roles: parsed.authorRoles };
      // Asked before the thread is started: a refused message leaves no trace but the reply.
      const access = handler.admit({
        conversation: conversationOf(parsed.placement),
        author,
        place: parsed.place,
      });
      if (!access.allowed) {
        // Discord has no ephemeral messages: a reply that pings nobody. Only to someone who spoke to the bot.
        if (parsed.addressed) {
          await message.reply({ content: access.text, allowedMentions: { parse: [], repliedUser: false } });
        }
        return;
      }
      let channel = message.channel as SendableChannels;
      let threadId: string | undefined;
      if (parsed.placement.kind === "new-thread") {
        const thread = await message.startThread({
          name: threadName(parsed.text),
          autoArchiveDuration: 1440,
        });
        channel = thread;
        threadId = thread.id;
      }
      const incoming: IncomingMessage = {
        deliveryId: parsed.deliveryId,
        conversation: conversationOf(parsed.placement, threadId),
        author,
        place: parsed.place,
        text: parsed.text,
        attachments: parsed.attachments.map((file) => discordAttachment(file)),
        addressed: parsed.addressed,
        ...(parsed.command ? { command: parsed.command } : {}),
      };
      const logger = this.options.logger.child({ channel: channel.id });
      this.dispatch(
        handler,
        incoming,
        new DiscordChannelSurface(channel, message, this.uploadLimit(), logger),
        { channel: channel.id, reactTo: message.id, reactIn: message.channelId },
      );
    } catch (error) {
      this.options.logger.error({ err: error, message: message.id }, "could not answer a Discord message");
    }
  }

  private async onInteraction(handler: MessageHandler, interaction: Interaction): Promise<void> {
    try {
      if (!interaction.isModalSubmit() && !interaction.isChatInputCommand()) return;
      const access = handler.admit(interactionSubject(interactionView(interaction)));
      if (!access.allowed) {
        await interaction.reply({ content: access.text, flags: MessageFlags.Ephemeral });
        return;
      }
      if (interaction.isModalSubmit()) {
        const code = readModalCode(interaction);
        if (code === null) return;
        await interaction.deferReply();
        await this.answerRun(handler, interaction, { text: code, forceDirectRun: true, attachment: null });
        return;
      }
      if (!interaction.isChatInputCommand()) return;
      const request = readCommand(interaction);
      if (!request) return;
      if (request.kind === "help") return await replyWithHelp(interaction);
      if (request.kind === "code-box") {
        await interaction.showModal(codeModal());
        return;
      }
      if (request.kind === "command" && answersPrivately(request.command)) {
        // `/usage` needs no thread: the answer is for the person who asked, only.
        const message = this.interactionMessage(interaction, interaction.commandName, {
          command: request.command,
          conversation: commandConversation(interaction),
        });
        return await replyPrivately(handler, interaction, message);
      }
      if (request.kind === "command") {
        const channel = interaction.channel;
        if (!channel?.isThread() && !channel?.isDMBased()) {
          await interaction.reply({
            content: `Each conversation lives in its own thread: use \`/${request.command}\` inside the thread you want to ${request.command === "reset" ? "start over" : "list the files of"}.`,
            flags: MessageFlags.Ephemeral,
          });
          return;
        }
        await interaction.deferReply();
        const incoming = this.interactionMessage(interaction, interaction.commandName, {
          command: request.command,
          conversation: conversationOf(
            channel.isThread()
              ? {
                  kind: "thread",
                  guildId: interaction.guildId ?? "",
                  parentId: channel.parentId ?? "",
                  threadId: channel.id,
                }
              : { kind: "dm", channelId: channel.id },
          ),
        });
        this.dispatch(
          handler,
          incoming,
          new DiscordInteractionSurface(interaction, this.uploadLimit(), false),
          followUpsIn(channel.id),
        );
        return;
      }
      await interaction.deferReply();
      await this.answerRun(handler, interaction, request);
    } catch (error) {
      this.options.logger.error(
        { err: error, interaction: interaction.id },
        "could not answer a Discord interaction",
      );
    }
  }

  /** A question or code from a command: the answer continues in a thread where possible. */
  private async answerRun(
    handler: MessageHandler,
    interaction: RepliableInteraction,
    request: {
      text: string;
      forceDirectRun: boolean;
      attachment: DiscordAttachmentRef | Omit<DiscordAttachmentRef, "id"> | null;
    },
  ): Promise<void> {
    const channel = interaction.channel;
    const verb = request.forceDirectRun ? "ran" : "asked";
    const header = `<@${interaction.user.id}> ${verb}: ${escapeDiscord(firstLine(request.text))}`;
    const original = await interaction.editReply({ content: header, allowedMentions: NO_MENTIONS });
    let surface: ReplySurface = new DiscordInteractionSurface(interaction, this.uploadLimit(), true);
    // Where a restart's notice would go: the thread when there is one, else the channel.
    let address: DiscordReplyAddress | null = channel ? followUpsIn(channel.id) : null;
    let conversation = conversationOf({ kind: "dm", channelId: channel?.id ?? interaction.user.id });
    if (channel?.isThread()) {
      conversation = conversationOf({
        kind: "thread",
        guildId: interaction.guildId ?? "",
        parentId: channel.parentId ?? "",
        threadId: channel.id,
      });
      surface = this.channelSurface(channel);
      address = followUpsIn(channel.id);
    } else if (channel && !channel.isDMBased() && interaction.guildId) {
      try {
        const thread = await original.startThread({
          name: threadName(request.text),
          autoArchiveDuration: 1440,
        });
        conversation = conversationOf(
          { kind: "new-thread", guildId: interaction.guildId, channelId: channel.id, messageId: original.id },
          thread.id,
        );
        surface = this.channelSurface(thread);
        address = followUpsIn(thread.id);
      } catch (error) {
        // No thread here (permissions, channel type): the answer stays in follow-ups.
        this.options.logger.info(
          { err: error, channel: channel.id },
          "no thread for a command; answering in follow-ups",
        );
        conversation = conversationOf({
          kind: "new-thread",
          guildId: interaction.guildId,
          channelId: channel.id,
          messageId: original.id,
        });
      }
    }
    const incoming = this.interactionMessage(interaction, request.text, {
      conversation,
      ...(request.forceDirectRun ? { forceDirectRun: true } : {}),
      attachments: request.attachment ? [discordAttachment({ id: "command", ...request.attachment })] : [],
    });
    this.dispatch(handler, incoming, surface, address);
  }

  private interactionMessage(
    interaction: RepliableInteraction,
    text: string,
    extra: Partial<IncomingMessage> & Pick<IncomingMessage, "conversation">,
  ): IncomingMessage {
    // The core asks the access rules again: it needs the same roles and place the adapter saw.
    const { author, place } = interactionSubject(interactionView(interaction));
    return {
      deliveryId: `discord:interaction:${interaction.id}`,
      author,
      place,
      text,
      attachments: [],
      addressed: true,
      ...extra,
    };
  }

  private channelSurface(channel: SendableChannels): ReplySurface {
    const logger = this.options.logger.child({ channel: channel.id });
    return new DiscordChannelSurface(channel, null, this.uploadLimit(), logger);
  }

  /** Runs the request in the background, so the gateway's events keep flowing. */
  private dispatch(
    handler: MessageHandler,
    incoming: IncomingMessage,
    surface: ReplySurface,
    address: DiscordReplyAddress | null,
  ): void {
    const logger = this.options.logger.child({ conversation: incoming.conversation.thread });
    const presenter = discordPresenter(surface, logger, this.options.progressIntervalMs);
    const request = address ? { ...incoming, replyAddress: { ...address } } : incoming;
    const run = handler
      .handle(request, presenter.sink, DISCORD_FORMATTING)
      .then(() => presenter.flushed())
      .catch((error: unknown) => logger.error({ err: error }, "Discord message handling failed"))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  async reopen(address: ReplyAddress, shown: ShownStatus | null): Promise<ReopenedReply | null> {
    if (!this.client) return null;
    const { logger, progressIntervalMs } = this.options;
    return reopenDiscordReply(this.client, address, shown, {
      uploadBytes: this.uploadLimit(),
      logger,
      progressIntervalMs,
    });
  }

  private uploadLimit(): number {
    return this.options.config.uploadLimitBytes;
  }
}
