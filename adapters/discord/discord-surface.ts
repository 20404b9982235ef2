/**
 * Discord as a ReplySurface, two ways: in a channel or thread (messages the bot sends and
 * edits, reactions on the user's message, typing), and through a slash command's interaction
 * when no thread can be had (follow-ups and their edits). Mentions in everything the bot sends
 * are disabled, so model output can never ping @everyone, a role or a person.
 */
import {
  AttachmentBuilder,
  type Message,
  type MessageCreateOptions,
  type RepliableInteraction,
  type SendableChannels,
} from "discord.js";
import type { Logger } from "../../src/logger.ts";
import type { ReplySurface, ShownStatus, SurfaceLimits } from "../../src/present/surface.ts";
import { DISCORD_TEXT, discordLimits } from "./format.ts";

/** Nobody is pinged by what the bot writes, whatever the text says. */
export const NO_MENTIONS = { parse: [] } as const;

const REACTIONS: Record<ShownStatus, string> = {
  queued: "⏳",
  working: "👀",
  done: "✅",
  failed: "❌",
};

function files(name: string, data: Buffer): AttachmentBuilder[] {
  return [new AttachmentBuilder(data, { name })];
}

/** Replies in a channel, a thread or a DM, with status reactions on the message answered. */
export class DiscordChannelSurface implements ReplySurface {
  readonly limits: SurfaceLimits;
  readonly text = DISCORD_TEXT;
  private readonly sent = new Map<string, Message>();
  private reaction: string | null = null;

  constructor(
    private readonly channel: SendableChannels,
    /** The user's message, for reactions; null when the reply answers a command. */
    private readonly reactTo: Message | null,
    uploadBytes: number,
    private readonly logger: Logger,
    /** The mark already on the message, when a reply is reopened after a restart. */
    shown: ShownStatus | null = null,
  ) {
    this.limits = discordLimits(uploadBytes);
    this.reaction = shown ? REACTIONS[shown] : null;
  }

  async post(text: string): Promise<string | null> {
    return this.send({ content: text });
  }

  async upload(name: string, data: Buffer, comment?: string): Promise<void> {
    await this.send({ ...(comment ? { content: comment } : {}), files: files(name, data) });
  }

  async edit(ref: string, text: string): Promise<void> {
    const message = this.sent.get(ref);
    if (message) await message.edit({ content: text, allowedMentions: NO_MENTIONS });
  }

  async showStatus(status: ShownStatus): Promise<void> {
    const next = REACTIONS[status];
    const message = this.reactTo;
    if (!message || next === this.reaction) return;
    try {
      if (this.reaction) await message.reactions.resolve(this.reaction)?.users.remove(message.client.user);
      await message.react(next);
      this.reaction = next;
    } catch (error) {
      // Reactions are a courtesy: a missing permission must not stop the reply.
      this.logger.debug({ err: error, status }, "reaction not applied");
    }
  }

  async typing(): Promise<void> {
    await this.channel.sendTyping();
  }

  private async send(options: MessageCreateOptions): Promise<string> {
    const message = await this.channel.send({ ...options, allowedMentions: NO_MENTIONS });
    this.sent.set(message.id, message);
    return message.id;
  }
}

/**
 * Replies through a deferred interaction: the first message replaces the deferred response
 * ("is thinking…") unless that was already used, the rest are follow-ups; all can be edited.
 */
export class DiscordInteractionSurface implements ReplySurface {
  readonly limits: SurfaceLimits;
  readonly text = DISCORD_TEXT;

  constructor(
    private readonly interaction: RepliableInteraction,
    uploadBytes: number,
    private originalAnswered: boolean,
  ) {
    this.limits = discordLimits(uploadBytes);
  }

  async post(text: string): Promise<string | null> {
    if (!this.originalAnswered) {
      this.originalAnswered = true;
      const original = await this.interaction.editReply({ content: text, allowedMentions: NO_MENTIONS });
      return original.id;
    }
    const message = await this.interaction.followUp({ content: text, allowedMentions: NO_MENTIONS });
    return message.id;
  }

  async upload(name: string, data: Buffer, comment?: string): Promise<void> {
    await this.interaction.followUp({
      ...(comment ? { content: comment } : {}),
      files: files(name, data),
      allowedMentions: NO_MENTIONS,
    });
  }

  async edit(ref: string, text: string): Promise<void> {
    await this.interaction.webhook.editMessage(ref, { content: text, allowedMentions: NO_MENTIONS });
  }

  async typing(): Promise<void> {
    const channel = this.interaction.channel;
    if (channel?.isSendable()) await channel.sendTyping();
  }
}
