/**
 * INTERACTION_CREATE payloads: a slash command (type 2) built against the command the bot
 * registered, so option types, required options and the command's id come from the
 * registration, and attachments and users land in `data.resolved`; and a modal submit (type 5)
 * for a modal the bot showed.
 */
import { channelObject, memberObject, userObject } from "./payloads.ts";
import { ChannelType, EVERYONE_PERMISSIONS, OptionType } from "./protocol.ts";
import type { CommandInput, CommandOptionValue, FakeChannel, FakeUser, RegisteredCommands } from "./types.ts";
import { isRecord } from "./wire.ts";
import type {
  WireAttachment,
  WireCommand,
  WireCommandOption,
  WireInteraction,
  WireInteractionOption,
  WireResolved,
} from "./wire-types.ts";
import type { World } from "./world.ts";

export interface InteractionBase {
  id: string;
  token: string;
  channel: FakeChannel;
  user: FakeUser;
  locale: string;
  attachmentSizeLimit: number;
}

export function interactionPayload(
  world: World,
  base: InteractionBase,
  type: number,
  data: Record<string, unknown>,
): WireInteraction {
  const { channel, user } = base;
  const guildId = channel.guild_id;
  return {
    id: base.id,
    application_id: world.application.id,
    type,
    token: base.token,
    version: 1,
    data,
    ...(guildId !== undefined
      ? {
          guild_id: guildId,
          guild: { id: guildId, locale: "en-US", features: [] },
          guild_locale: "en-US",
          member: {
            ...memberObject(world, user, { withUser: false, guildId }),
            user: userObject(user),
            permissions: EVERYONE_PERMISSIONS,
          },
        }
      : { user: userObject(user) }),
    channel: { ...channelObject(world, channel), permissions: EVERYONE_PERMISSIONS },
    channel_id: channel.id,
    app_permissions: EVERYONE_PERMISSIONS,
    locale: base.locale,
    entitlements: [],
    // For a DM with the bot, Discord puts "0" where the guild's id would be.
    authorizing_integration_owners: { "0": guildId ?? "0" },
    context: guildId !== undefined ? 0 : 1,
    attachment_size_limit: base.attachmentSizeLimit,
  };
}

/** Finds the registered command (guild commands first) and builds `data` from `input`. */
export function commandData(
  world: World,
  registered: RegisteredCommands,
  channel: FakeChannel,
  input: CommandInput,
): Record<string, unknown> {
  const inGuild = channel.guild_id !== undefined;
  const guildCommands = channel.guild_id ? (registered.guilds[channel.guild_id] ?? []) : [];
  const command =
    guildCommands.find((c) => c.name === input.name && c.type === 1) ??
    registered.global.find((c) => c.name === input.name && c.type === 1);
  if (!command) {
    throw new Error(
      `fake Discord: /${input.name} is not registered ${inGuild ? "globally or in the guild" : "globally"}; ` +
        "Discord only delivers commands the app registered (application.commands.set)",
    );
  }
  const context = inGuild ? 0 : channel.type === ChannelType.DM ? 1 : 2;
  if (Array.isArray(command.contexts) && !command.contexts.includes(context)) {
    throw new Error(`fake Discord: /${input.name} is not available in interaction context ${context}`);
  }
  const resolved: WireResolved = {};
  let definitions = command.options ?? [];
  let wrap = (options: WireInteractionOption[]) => options;
  if (input.subcommand !== undefined) {
    const sub = definitions.find((o) => o.type === OptionType.Subcommand && o.name === input.subcommand);
    if (!sub) throw new Error(`fake Discord: /${input.name} has no subcommand ${input.subcommand}`);
    definitions = sub.options ?? [];
    wrap = (options) => [{ name: sub.name, type: OptionType.Subcommand, options }];
  }
  const options = wrap(optionsFrom(world, command, definitions, input.options ?? {}, resolved, channel));
  return {
    id: command.id,
    name: command.name,
    type: 1,
    ...(options.length > 0 ? { options } : {}),
    ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
    ...(command.guild_id ? { guild_id: command.guild_id } : {}),
  };
}

function optionsFrom(
  world: World,
  command: WireCommand,
  definitions: WireCommandOption[],
  values: Record<string, CommandOptionValue>,
  resolved: WireResolved,
  channel: FakeChannel,
): WireInteractionOption[] {
  for (const definition of definitions) {
    if (definition.required && !(definition.name in values)) {
      throw new Error(`fake Discord: /${command.name} needs its required option "${definition.name}"`);
    }
  }
  return Object.entries(values).map(([name, value]) => {
    const definition = definitions.find((d) => d.name === name);
    if (!definition) throw new Error(`fake Discord: /${command.name} has no option "${name}"`);
    return option(world, definition, value, resolved, channel);
  });
}

function option(
  world: World,
  definition: WireCommandOption,
  value: CommandOptionValue,
  resolved: WireResolved,
  channel: FakeChannel,
): WireInteractionOption {
  const { name, type } = definition;
  const wrong = () =>
    new Error(`fake Discord: option "${name}" (type ${type}) cannot take ${JSON.stringify(value)}`);
  switch (type) {
    case OptionType.String:
      if (typeof value !== "string") throw wrong();
      return { name, type, value };
    case OptionType.Integer:
      if (typeof value !== "number" || !Number.isInteger(value)) throw wrong();
      return { name, type, value };
    case OptionType.Number:
      if (typeof value !== "number") throw wrong();
      return { name, type, value };
    case OptionType.Boolean:
      if (typeof value !== "boolean") throw wrong();
      return { name, type, value };
    case OptionType.Attachment: {
      if (!isAttachment(value)) throw wrong();
      resolved.attachments = { ...resolved.attachments, [value.id]: value };
      return { name, type, value: value.id };
    }
    case OptionType.User: {
      if (typeof value !== "object" || isAttachment(value)) throw wrong();
      resolved.users = { ...resolved.users, [value.id]: userObject(value) };
      if (channel.guild_id) {
        resolved.members = {
          ...resolved.members,
          [value.id]: memberObject(world, value, { withUser: false, guildId: channel.guild_id }),
        };
      }
      return { name, type, value: value.id };
    }
    default:
      throw new Error(`fake Discord: option type ${type} ("${name}") is not supported by the fake`);
  }
}

function isAttachment(value: CommandOptionValue): value is WireAttachment {
  return typeof value === "object" && "filename" in value && "url" in value;
}

/**
 * A modal's submit, with each text input in an action row as Discord returns the components
 * of a modal built from action rows. `shown` is the `data` of the bot's MODAL callback.
 */
export function modalSubmitData(
  shown: Record<string, unknown>,
  fields: Record<string, string>,
): Record<string, unknown> {
  const inputs = new Set(textInputIds(shown.components));
  for (const id of Object.keys(fields)) {
    if (!inputs.has(id))
      throw new Error(`fake Discord: the modal "${String(shown.custom_id)}" has no input "${id}"`);
  }
  let componentId = 0;
  const components = Object.entries(fields).map(([customId, value]) => {
    componentId += 2;
    return {
      type: 1,
      id: componentId - 1,
      components: [{ type: 4, id: componentId, custom_id: customId, value }],
    };
  });
  return { custom_id: shown.custom_id, components };
}

function textInputIds(components: unknown): string[] {
  if (!Array.isArray(components)) return [];
  return components.flatMap((component: unknown): string[] => {
    if (!isRecord(component)) return [];
    const c = component;
    const own = c.type === 4 && typeof c.custom_id === "string" ? [c.custom_id] : [];
    return [...own, ...textInputIds(c.components), ...textInputIds(c.component ? [c.component] : [])];
  });
}
