/** The adapter contract for Discord on the real Docker sandbox. */
import { adapterContractOnDocker } from "../contract/adapter-contract.ts";
import { createDiscordHarness } from "../helpers/discord-harness.ts";

adapterContractOnDocker("Discord", async (sandbox) => {
  const harness = await createDiscordHarness({ sandbox });
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});
