/**
 * The adapter contract for the web chat on the scripted sandbox: the same suite Slack and
 * Discord pass, over real HTTP and Server-Sent Events on 127.0.0.1, in seconds and without Docker.
 */
import { describe, expect, it } from "vitest";
import { adapterContract } from "../contract/adapter-contract.ts";
import { scriptAdapterContract } from "../fakes/sandbox/adapter-contract-scripts.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createWebHarness } from "../helpers/web-harness.ts";

const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
scriptAdapterContract(sandbox);

adapterContract("Web (scripted sandbox)", async () => {
  const harness = await createWebHarness({ sandbox });
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});

describe("the scripted sandbox under the web contract", () => {
  it("ran only code it had a script for, and every run succeeded", () => {
    expect(sandbox.runs().length).toBeGreaterThan(0);
    expect(sandbox.unscripted().map((run) => run.code)).toEqual([]);
    expect(sandbox.runs().filter((run) => run.execution?.status !== "ok")).toEqual([]);
  });
});
