/**
 * The adapter contract for Slack on the scripted sandbox: the same suite as
 * slack-contract.test.ts, in seconds and without Docker. The sandbox answers exactly the
 * Python the contract's model sends (tests/fakes/sandbox/adapter-contract-scripts.ts);
 * the Docker run stays the proof that those answers are what Python really gives.
 */
import { describe, expect, it } from "vitest";
import { adapterContract } from "../contract/adapter-contract.ts";
import {
  CONTRACT_RECALL,
  CONTRACT_REMEMBER,
  scriptAdapterContract,
} from "../fakes/sandbox/adapter-contract-scripts.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createSlackHarness } from "../helpers/slack-harness.ts";

const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
scriptAdapterContract(sandbox);

adapterContract("Slack (scripted sandbox)", async () => {
  const harness = await createSlackHarness({ sandbox });
  return { driver: harness.driver, model: harness.bot.fake, close: () => harness.close() };
});

// What the thread cannot show: the model's scripted answers would read the same even if the
// sandbox had answered nonsense, so the runs themselves are checked here.
describe("the scripted sandbox under the Slack contract", () => {
  it("ran only code it had a script for, and every run succeeded", () => {
    expect(sandbox.runs().length).toBeGreaterThan(0);
    expect(sandbox.unscripted().map((run) => run.code)).toEqual([]);
    expect(sandbox.runs().filter((run) => run.execution?.status !== "ok")).toEqual([]);
  });

  it("previewed the attached CSV for the model, as pandas would", () => {
    const preview = sandbox.runs().find((run) => run.code.includes("__cib_preview(["));
    expect(preview?.execution?.stdout).toContain("3 rows x 2 columns: region, sales");
  });

  it("kept the thread's variables from one message to the next", () => {
    const recall = sandbox.runs().find((run) => run.code === CONTRACT_RECALL);
    expect(recall && sandbox.executed(recall.key)).toEqual([CONTRACT_REMEMBER, CONTRACT_RECALL]);
    expect(recall?.execution?.stdout).toBe("42\n");
  });
});
