/**
 * Slash commands and interactions through the real discord.js `Client`: registration (global
 * and per guild), INTERACTION_CREATE with an attachment option, the callback and its deadline,
 * deferred replies, follow-ups, `@original` edits, modals, and `with_response`.
 */
import {
  ActionRowBuilder,
  ApplicationCommandOptionType,
  AttachmentBuilder,
  type ChatInputApplicationCommandData,
  type ChatInputCommandInteraction,
  type Client,
  Events,
  MessageFlags,
  ModalBuilder,
  type ModalSubmitInteraction,
  Routes,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import { afterEach, describe, expect, it } from "vitest";
import { type CommandOptionValue, FakeDiscord, type FakeDiscordOptions } from "./fake-discord.ts";
import { nextEvent, readyClient } from "./test-client.ts";

let fake: FakeDiscord | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  await fake?.close();
  fake = undefined;
});

const PYTHON: ChatInputApplicationCommandData = {
  name: "python",
  description: "Run Python in the sandbox",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "code",
      description: "The code to run",
      required: true,
    },
    { type: ApplicationCommandOptionType.Attachment, name: "file", description: "A file for the code" },
  ],
};

async function start(options: FakeDiscordOptions = {}): Promise<{ fake: FakeDiscord; client: Client<true> }> {
  const started = await FakeDiscord.start(options);
  fake = started;
  const client = await readyClient(started);
  clients.push(client);
  return { fake: started, client };
}

/** Registers /python globally, runs it, and resolves with the interaction the client got. */
async function runPython(
  started: { fake: FakeDiscord; client: Client<true> },
  options: Record<string, CommandOptionValue> = { code: "print(2**10)" },
): Promise<ChatInputCommandInteraction> {
  await started.client.application.commands.set([PYTHON]);
  const received = nextEvent(started.client, Events.InteractionCreate);
  started.fake.command({ name: "python", options });
  const [interaction] = await received;
  if (!interaction.isChatInputCommand()) throw new Error("not a slash command");
  return interaction;
}

describe("command registration", () => {
  it("records commands set globally and per guild, keeping ids across overwrites", async () => {
    const { fake, client } = await start();
    const global = await client.application.commands.set([PYTHON]);
    await client.application.commands.set(
      [{ name: "reset", description: "Forget this conversation" }],
      fake.guild.id,
    );
    expect(fake.registeredCommands.global).toMatchObject([
      {
        name: "python",
        type: 1,
        application_id: fake.application.id,
        options: [
          { type: 3, name: "code", required: true },
          { type: 11, name: "file" },
        ],
      },
    ]);
    expect(fake.registeredCommands.guilds[fake.guild.id]).toMatchObject([
      { name: "reset", guild_id: fake.guild.id },
    ]);
    const first = fake.registeredCommands.global[0];
    const again = await client.application.commands.set([PYTHON]);
    expect(again.first()?.id).toBe(global.first()?.id);
    expect(fake.registeredCommands.global[0]?.version).toBe(first?.version);
    const fetched = await client.application.commands.fetch();
    expect([...fetched.values()].map((c) => c.name)).toEqual(["python"]);
    await expect(
      client.application.commands.set([{ name: "Bad Name", description: "x" }]),
    ).rejects.toMatchObject({ code: 50035, status: 400 });
  });
});

describe("slash commands", () => {
  it("delivers options, with an attachment resolved to a downloadable CDN file", async () => {
    const started = await start();
    const file = started.fake.cdn.add("input.csv", Buffer.from("a,b\n"), "text/csv");
    const interaction = await runPython(started, { code: "print(1)", file });
    expect(interaction.commandName).toBe("python");
    expect(interaction.commandId).toBe(started.fake.registeredCommands.global[0]?.id);
    expect(interaction.options.getString("code")).toBe("print(1)");
    const attachment = interaction.options.getAttachment("file");
    expect(attachment).toMatchObject({ id: file.id, name: "input.csv", size: 4 });
    expect(Buffer.from(await (await fetch(attachment?.url ?? "")).arrayBuffer()).toString()).toBe("a,b\n");
    expect(interaction.user.id).toBe(started.fake.user.id);
    expect(interaction.channelId).toBe(started.fake.channel.id);
    expect(interaction.guildId).toBe(started.fake.guild.id);
    expect(interaction.member).not.toBeNull();
    expect(() => started.fake.command({ name: "nope" })).toThrow(/not registered/);
    expect(() => started.fake.command({ name: "python", options: {} })).toThrow(/required option "code"/);
  });

  it("deferReply, then followUp and editReply: the follow-up resolves the loading message", async () => {
    const started = await start();
    const interaction = await runPython(started);
    await interaction.deferReply();
    const followUp = await interaction.followUp("1024");
    await interaction.editReply("1024 (edited)");
    const { fake } = started;

    expect(fake.interactionResponses).toMatchObject([
      { interaction_id: interaction.id, type: 5, data: { flags: 0 }, with_response: false, status: 204 },
    ]);
    // As Discord documents, a follow-up right after a deferral edits the "thinking…" message.
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({ via: "interaction-response", interaction_id: interaction.id });
    expect(followUp.id).toBe(fake.messages[0]?.id);
    expect(fake.messages[0]?.versions.map((v) => [v.content, v.flags])).toEqual([
      ["", MessageFlags.Loading],
      ["1024", 0],
      ["1024 (edited)", 0],
    ]);
    const second = await interaction.followUp({
      content: "and a file",
      files: [new AttachmentBuilder(Buffer.from("col\n1\n"), { name: "out.csv" })],
    });
    expect(fake.followUps).toMatchObject([{ id: second.id, content: "and a file" }]);
    expect(fake.followUps[0]?.attachments.map((a) => [a.name, a.data.toString()])).toEqual([
      ["out.csv", "col\n1\n"],
    ]);
    expect((await interaction.fetchReply()).content).toBe("1024 (edited)");
  });

  it("answers with_response=true with the interaction callback response", async () => {
    const started = await start();
    const interaction = await runPython(started);
    const response = await interaction.reply({ content: "Running…", withResponse: true });
    expect(response.interaction.id).toBe(interaction.id);
    expect(response.resource?.message?.content).toBe("Running…");
    expect(response.interaction.responseMessageId).toBe(started.fake.messages[0]?.id);
    const call = started.fake.calls.find((c) => c.route?.endsWith("/callback"));
    expect(call?.query).toBe("?with_response=true");
    expect(call?.authorization).toBeUndefined();
  });

  it("keeps ephemeral replies out of the channel's history", async () => {
    const started = await start();
    const interaction = await runPython(started);
    await interaction.reply({ content: "only you", flags: MessageFlags.Ephemeral });
    expect(started.fake.messages[0]?.flags).toBe(MessageFlags.Ephemeral);
    const channel = started.client.channels.cache.get(started.fake.channel.id);
    if (!channel?.isTextBased()) throw new Error("no channel");
    expect((await channel.messages.fetch()).size).toBe(0);
  });

  it("refuses a callback after the deadline, leaving no webhook to follow up on", async () => {
    const late = await start({ interactionDeadlineMs: 0 });
    const interaction = await runPython(late);
    await expect(interaction.deferReply()).rejects.toMatchObject({ code: 10062, status: 404 });
    expect(late.fake.interactionResponses).toMatchObject([{ type: 5, status: 404 }]);
    // Nothing was acknowledged, so there is no webhook (discord.js's followUp refuses earlier).
    await expect(interaction.webhook.send("too late")).rejects.toMatchObject({ code: 10015 });
  });

  it("answers a second callback with 40060 (discord.js itself refuses before asking)", async () => {
    const started = await start();
    const interaction = await runPython(started);
    const route = Routes.interactionCallback(interaction.id, interaction.token);
    const body = { type: 4, data: { content: "first" } };
    await started.client.rest.post(route, { body, auth: false });
    await expect(started.client.rest.post(route, { body, auth: false })).rejects.toMatchObject({
      code: 40060,
    });
    expect(started.fake.messages.map((m) => m.content)).toEqual(["first"]);
  });
});

describe("modals", () => {
  it("delivers the submit of a modal the bot showed", async () => {
    const started = await start();
    const interaction = await runPython(started);
    const modal = new ModalBuilder()
      .setCustomId("run-code")
      .setTitle("Run code")
      .addComponents(
        new ActionRowBuilder<TextInputBuilder>().addComponents(
          new TextInputBuilder().setCustomId("code").setLabel("Code").setStyle(TextInputStyle.Paragraph),
        ),
      );
    await interaction.showModal(modal);
    expect(started.fake.interactionResponses[0]).toMatchObject({ type: 9, data: { custom_id: "run-code" } });

    const received = nextEvent(started.client, Events.InteractionCreate);
    started.fake.modalSubmit({ customId: "run-code", fields: { code: "sum(range(10))" } });
    const [submitted] = await received;
    expect(submitted.isModalSubmit()).toBe(true);
    const submit = submitted as ModalSubmitInteraction;
    expect(submit.customId).toBe("run-code");
    expect(submit.fields.getTextInputValue("code")).toBe("sum(range(10))");
    await submit.reply("45");
    expect(started.fake.messages.map((m) => m.content)).toEqual(["45"]);
    expect(() => started.fake.modalSubmit({ customId: "never-shown", fields: {} })).toThrow(/never showed/);
  });
});
