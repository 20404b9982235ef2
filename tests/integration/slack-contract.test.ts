/** The adapter contract for Slack on the real Docker sandbox. */
import { adapterContractOnDocker } from "../contract/adapter-contract.ts";
import { createSlackHarness } from "../helpers/slack-harness.ts";

adapterContractOnDocker("Slack", async (sandbox) => {
  const harness = await createSlackHarness({ sandbox });
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});
