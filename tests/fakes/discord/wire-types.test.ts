/**
 * The fake's JSON shapes against `discord-api-types` (re-exported by discord.js): the
 * assignments below are checked by `tsc`, so a field the fake spells or types differently
 * from Discord's published types fails the type check; the test then looks at one of each.
 */
import type {
  APIApplication,
  APIAttachment,
  APIChatInputApplicationCommandInteraction,
  APIGuildMember,
  APIMessage,
  APIRole,
  APITextChannel,
  APIThreadChannel,
  APIUser,
  GatewayMessageCreateDispatchData,
} from "discord.js";
import { describe, expect, it } from "vitest";
import { applicationObject, channelObject, memberObject, rolesObject, userObject } from "./payloads.ts";
import { Snowflakes } from "./protocol.ts";
import type { WireAttachment, WireInteraction, WireMessage } from "./wire-types.ts";
import { World } from "./world.ts";

const world = new World(new Snowflakes(), {
  botUsername: "bot",
  guildName: "g",
  channelName: "c",
  applicationFlags: 0,
});

describe("wire shapes", () => {
  it("match discord-api-types", () => {
    const user: APIUser = userObject(world.user);
    const member: Omit<APIGuildMember, "user"> = memberObject(world, world.user, { withUser: true });
    const roles: APIRole[] = rolesObject(world);
    const channel: APITextChannel = channelObject(world, world.channel) as APITextChannel;
    const thread = world.addThread({ parent: world.channel, name: "t", owner: world.user });
    const threadObject: APIThreadChannel = channelObject(world, thread) as APIThreadChannel;
    const application: APIApplication = applicationObject(world);
    // `embeds` and `components` (and so a replied-to message) and interaction `data` carry what
    // the bot sent or the test built; locales are plain strings here, an enum there; the one
    // channel shape stands for Discord's union of channel types (checked above by type).
    type Opaque = "embeds" | "components" | "referenced_message" | "thread";
    type Loose = "data" | "message" | "locale" | "guild_locale" | "guild";
    const check = (
      message: WireMessage,
      attachment: WireAttachment,
      interaction: WireInteraction,
    ): [
      Omit<APIMessage, Opaque>,
      Omit<GatewayMessageCreateDispatchData, Opaque>,
      APIAttachment,
      Omit<APIChatInputApplicationCommandInteraction, Loose>,
    ] => [message, message, attachment, interaction];
    expect(typeof check).toBe("function");
    expect(user.id).toBe(world.user.id);
    expect(member.roles).toEqual([]);
    expect(roles[0]?.id).toBe(world.guild.id);
    expect(channel.type).toBe(0);
    expect(threadObject.parent_id).toBe(world.channel.id);
    expect(application.bot?.id).toBe(world.botUser.id);
  });
});
