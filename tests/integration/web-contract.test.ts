/** The adapter contract for Web on the real Docker sandbox. */
import { adapterContractOnDocker } from "../contract/adapter-contract.ts";
import { createWebHarness } from "../helpers/web-harness.ts";

adapterContractOnDocker("Web", async (sandbox) => {
  const harness = await createWebHarness({ sandbox });
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});
