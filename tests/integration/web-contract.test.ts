/** The adapter contract for the web chat on the real Docker sandbox, as Slack and Discord run it. */
import { adapterContract } from "../contract/adapter-contract.ts";
import { createWebHarness } from "../helpers/web-harness.ts";

adapterContract("Web", async () => {
  const harness = await createWebHarness();
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});
