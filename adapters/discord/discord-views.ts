/**
 * The few fields the pure rules in parse.ts read, copied out of discord.js objects: a
 * message's, and an interaction's. Kept apart from the adapter so the glue stays small and
 * each side is read on its own.
 */
import {
  type APIInteractionGuildMember,
  ChannelType,
  type Guild,
  type GuildMember,
  type Interaction,
  type Message,
  MessageType,
} from "discord.js";
import {
  type AuthorRole,
  type DiscordInteractionView,
  type DiscordMessageView,
  namedRoles,
} from "./parse.ts";

/** The fields the message rules read, copied out of a discord.js Message. */
export function messageView(message: Message, botUserId: string): DiscordMessageView {
  const channel = message.channel;
  const kind = channel.isDMBased()
    ? "dm"
    : channel.isThread()
      ? "thread"
      : channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement
        ? "text"
        : "other";
  return {
    id: message.id,
    channelId: message.channelId,
    guildId: message.guildId,
    channelKind: kind,
    parentId: channel.isThread() ? channel.parentId : null,
    content: message.content,
    author: { id: message.author.id, bot: message.author.bot },
    authorRoles: memberRoles(message.member, message.guild),
    isUserContent: message.type === MessageType.Default || message.type === MessageType.Reply,
    // Only a mention of the bot itself: @everyone and role mentions do not address it.
    mentionsBot: message.mentions.users.has(botUserId),
    attachments: [...message.attachments.values()].map((file) => ({
      id: file.id,
      url: file.url,
      name: file.name,
      size: file.size,
      contentType: file.contentType ?? null,
    })),
  };
}

/** The fields the access rules read of an interaction. */
export function interactionView(interaction: Interaction): DiscordInteractionView {
  const channel = interaction.channel;
  return {
    userId: interaction.user.id,
    userName: interaction.user.username,
    guildId: interaction.guildId,
    channel: channel
      ? {
          id: channel.id,
          kind: channel.isDMBased() ? "dm" : channel.isThread() ? "thread" : "other",
          parentId: channel.isThread() ? channel.parentId : null,
        }
      : interaction.channelId
        ? { id: interaction.channelId, kind: interaction.guildId ? "other" : "dm", parentId: null }
        : null,
    roles: memberRoles(interaction.member, interaction.guild),
  };
}

/**
 * A member's roles with their names. discord.js hands over a GuildMember when the server is
 * cached, and otherwise (an interaction from an uncached server) the API's member, which has
 * role ids only: their names then come from the server's role cache where it has them.
 */
export function memberRoles(
  member: GuildMember | APIInteractionGuildMember | null,
  guild: Guild | null,
): AuthorRole[] {
  if (!member) return [];
  if ("guild" in member) {
    return [...member.roles.cache.values()]
      .filter((role) => role.id !== member.guild.id)
      .map((role) => ({ id: role.id, name: role.name }));
  }
  return namedRoles(member.roles, guild?.id ?? "", (id) => guild?.roles.cache.get(id)?.name);
}
