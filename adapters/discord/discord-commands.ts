/**
 * The slash commands: their definitions, registered at start-up, and how an interaction
 * becomes a request. Interactions are deferred at once (Discord allows 3 s), then answered by
 * editing the original response and by follow-ups; a conversation started in a channel goes
 * on in a thread started from that response, where the channel allows one.
 */
import {
  ActionRowBuilder,
  type ChatInputCommandInteraction,
  MessageFlags,
  ModalBuilder,
  type ModalSubmitInteraction,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import type { BotCommand } from "../../src/bot/incoming-message.ts";
import { HELP_TEXT } from "../../src/bot/user-messages.ts";

export const CODE_MODAL_ID = "cib-python-code";
const CODE_FIELD_ID = "code";

export function commandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return [
    new SlashCommandBuilder()
      .setName("ask")
      .setDescription("Ask in plain language: I write and run Python to answer")
      .addStringOption((option) =>
        option
          .setName("question")
          .setDescription("What to find out, compute or plot")
          .setRequired(true)
          .setMaxLength(4000),
      )
      .addAttachmentOption((option) =>
        option
          .setName("file")
          .setDescription("A file to work with (CSV, Excel, image, PDF, zip…)")
          .setRequired(false),
      ),
    new SlashCommandBuilder()
      .setName("python")
      .setDescription("Run Python exactly as written")
      .addStringOption((option) =>
        option
          .setName("code")
          .setDescription("One line of code; leave it out to get a box for longer code")
          .setRequired(false)
          .setMaxLength(4000),
      ),
    new SlashCommandBuilder()
      .setName("reset")
      .setDescription("Start this conversation over: variables, files and history"),
    new SlashCommandBuilder().setName("files").setDescription("List the files of this conversation"),
    new SlashCommandBuilder().setName("usage").setDescription("What you have used today, and your limits"),
    new SlashCommandBuilder().setName("help").setDescription("What I can do"),
  ].map((builder) => builder.toJSON());
}

/** What an interaction asks for, once its options are read. */
export type CommandRequest =
  | { kind: "help" }
  | { kind: "code-box" }
  | { kind: "run"; text: string; forceDirectRun: boolean; attachment: AttachmentOption | null }
  | { kind: "command"; command: Exclude<BotCommand, "help"> };

export interface AttachmentOption {
  url: string;
  name: string;
  size: number;
  contentType: string | null;
}

export function readCommand(interaction: ChatInputCommandInteraction): CommandRequest | null {
  switch (interaction.commandName) {
    case "help":
      return { kind: "help" };
    case "reset":
    case "files":
    case "usage":
      return { kind: "command", command: interaction.commandName };
    case "ask": {
      const file = interaction.options.getAttachment("file");
      const attachment = file
        ? { url: file.url, name: file.name, size: file.size, contentType: file.contentType ?? null }
        : null;
      return {
        kind: "run",
        text: interaction.options.getString("question", true),
        forceDirectRun: false,
        attachment,
      };
    }
    case "python": {
      const code = interaction.options.getString("code");
      if (!code?.trim()) return { kind: "code-box" };
      return { kind: "run", text: code, forceDirectRun: true, attachment: null };
    }
    default:
      return null;
  }
}

export function readModalCode(interaction: ModalSubmitInteraction): string | null {
  if (interaction.customId !== CODE_MODAL_ID) return null;
  const code = interaction.fields.getTextInputValue(CODE_FIELD_ID);
  return code.trim() ? code : null;
}

export function codeModal(): ModalBuilder {
  const input = new TextInputBuilder()
    .setCustomId(CODE_FIELD_ID)
    .setLabel("Python")
    .setStyle(TextInputStyle.Paragraph)
    .setPlaceholder("import pandas as pd\n…")
    .setRequired(true)
    .setMaxLength(4000);
  return new ModalBuilder()
    .setCustomId(CODE_MODAL_ID)
    .setTitle("Run Python")
    .addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(input));
}

export async function replyWithHelp(interaction: ChatInputCommandInteraction): Promise<void> {
  await interaction.reply({
    content: HELP_TEXT,
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}
