/**
 * A slash command answered to the person who used it only (an ephemeral reply): `/usage`,
 * which needs no thread, wherever it is used.
 */
import { type ChatInputCommandInteraction, MessageFlags } from "discord.js";
import type { MessageHandler } from "../../src/bot/adapter.ts";
import type { ConversationKey, IncomingMessage } from "../../src/bot/incoming-message.ts";
import { privateAnswer } from "../../src/bot/private-answer.ts";
import { NO_MENTIONS } from "./discord-surface.ts";
import { DISCORD_FORMATTING } from "./format.ts";

/** Discord's limit for one message's content. */
const MAX_CONTENT = 2_000;

/** Where a command used outside any conversation is handled: the channel (or DM) it was used in. */
export function commandConversation(interaction: ChatInputCommandInteraction): ConversationKey {
  return {
    platform: "discord",
    workspace: interaction.guildId ?? "dm",
    channel: interaction.channelId,
    thread: "command",
  };
}

export async function replyPrivately(
  handler: MessageHandler,
  interaction: ChatInputCommandInteraction,
  message: IncomingMessage,
): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const answer = (await privateAnswer(handler, message, DISCORD_FORMATTING)) || "Done.";
  const content = answer.length <= MAX_CONTENT ? answer : `${answer.slice(0, MAX_CONTENT - 1)}…`;
  await interaction.editReply({ content, allowedMentions: NO_MENTIONS });
}
