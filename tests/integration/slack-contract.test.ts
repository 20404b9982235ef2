import { adapterContract } from "../contract/adapter-contract.ts";
import { createSlackHarness } from "../helpers/slack-harness.ts";

adapterContract("Slack", async () => {
  const harness = await createSlackHarness();
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});
