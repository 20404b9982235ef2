import { adapterContract } from "../contract/adapter-contract.ts";
import { createDiscordHarness } from "../helpers/discord-harness.ts";

adapterContract("Discord", async () => {
  const harness = await createDiscordHarness();
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});
