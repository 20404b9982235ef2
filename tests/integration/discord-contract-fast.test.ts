/**
 * The adapter contract for Discord on the scripted sandbox, in seconds and without Docker;
 * discord-contract.test.ts runs the same suite on the real sandbox.
 */
import { adapterContract } from "../contract/adapter-contract.ts";
import { scriptAdapterContract } from "../fakes/sandbox/adapter-contract-scripts.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { createDiscordHarness } from "../helpers/discord-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";

const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
scriptAdapterContract(sandbox);

adapterContract("Discord (scripted sandbox)", async () => {
  const harness = await createDiscordHarness({ sandbox });
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});
