/**
 * Discord's side of answering a request after a restart: the stored address names the channel
 * or thread the reply went to and the user's message that carries the status reaction, and
 * both are fetched again over REST (nothing of the old process's cache survives). A channel
 * that is gone or no longer writable gives no reply rather than an error.
 */
import type { Client, Message } from "discord.js";
import type { ReopenedReply } from "../../src/bot/adapter.ts";
import type { Logger } from "../../src/logger.ts";
import { ReplyPresenter } from "../../src/present/presenter.ts";
import type { ReplySurface, ShownStatus } from "../../src/present/surface.ts";
import type { ReplyAddress } from "../../src/store/types.ts";
import { DiscordChannelSurface } from "./discord-surface.ts";
import { DISCORD_FORMATTING } from "./format.ts";

/**
 * The channel or thread replies go to, and the user's message that carries the status mark
 * (none for a slash command) with the channel it is in: a mention's thread starts from the
 * message, which stays in the parent channel.
 */
export interface DiscordReplyAddress {
  channel: string;
  reactTo: string | null;
  reactIn: string | null;
}

/** Replies in a channel or thread with no user's message to mark (a slash command's). */
export function followUpsIn(channel: string): DiscordReplyAddress {
  return { channel, reactTo: null, reactIn: null };
}

export function discordPresenter(
  surface: ReplySurface,
  logger: Logger,
  progressIntervalMs?: number,
): ReplyPresenter {
  return new ReplyPresenter(surface, { progressIntervalMs: progressIntervalMs ?? 1_000, logger });
}

export async function reopenDiscordReply(
  client: Client,
  address: ReplyAddress,
  shown: ShownStatus | null,
  options: { uploadBytes: number; logger: Logger; progressIntervalMs?: number | undefined },
): Promise<ReopenedReply | null> {
  const { channel: channelId, reactTo = null, reactIn = null } = address;
  if (!channelId) return null;
  const logger = options.logger.child({ channel: channelId });
  let channel: Awaited<ReturnType<Client["channels"]["fetch"]>>;
  try {
    channel = await client.channels.fetch(channelId);
  } catch (error) {
    logger.info({ err: error }, "the channel of an interrupted request cannot be fetched");
    return null;
  }
  if (!channel?.isSendable()) return null;
  // The reaction is a courtesy: a deleted message still gets its answer in the channel.
  const message = reactTo && reactIn ? await fetchMessage(client, reactIn, reactTo) : null;
  const surface = new DiscordChannelSurface(channel, message, options.uploadBytes, logger, shown);
  const presenter = discordPresenter(surface, logger, options.progressIntervalMs);
  return { sink: presenter.sink, formatting: DISCORD_FORMATTING, flushed: () => presenter.flushed() };
}

async function fetchMessage(client: Client, channelId: string, messageId: string): Promise<Message | null> {
  try {
    const channel = await client.channels.fetch(channelId);
    return channel?.isTextBased() ? await channel.messages.fetch(messageId) : null;
  } catch {
    return null;
  }
}
