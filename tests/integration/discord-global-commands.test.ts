/** Without DISCORD_GUILD_ID the slash commands are registered globally, for every server. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { createDiscordHarness, type DiscordHarness } from "../helpers/discord-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";

let h: DiscordHarness;

beforeAll(async () => {
  h = await createDiscordHarness({ sandbox: new FakeSandbox({ limits: TEST_LIMITS }), guildCommands: false });
});

afterAll(async () => {
  await h?.close();
});

it("registers the slash commands globally when no server is named", async () => {
  const names = await h.discord.waitFor(() =>
    h.discord.registeredCommands.global.map((command) => command.name),
  );
  expect(names.sort()).toEqual(["ask", "files", "help", "python", "reset", "usage"]);
  expect(h.discord.registeredCommands.guilds[h.discord.guild.id] ?? []).toEqual([]);
  const ask = h.discord.registeredCommands.global.find((command) => command.name === "ask");
  expect(ask?.options?.map((option) => [option.name, option.type, option.required ?? false])).toEqual([
    ["question", 3, true],
    ["file", 11, false],
  ]);
});
