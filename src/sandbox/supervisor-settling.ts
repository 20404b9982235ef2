/**
 * Bringing a supervisor that was already running to a state a session can use, whatever keeps
 * its container (a Docker engine, a Kubernetes pod): stop a run an earlier bot process left
 * going, and wait until Python is idle.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../logger.ts";
import type { SandboxLimits } from "./limits.ts";
import type { SupervisorClient } from "./supervisor-client.ts";

const PING_TIMEOUT_MS = 5_000;
const POLL_MS = 100;

/**
 * A run started by an earlier bot process may still be going. Nobody is left to read its result,
 * so it is stopped (as a cancel would: its variables so far stay) rather than waited out, which
 * could hold the conversation's next message for the whole time limit. Then waits, at most as
 * long as a run may take, for Python to be idle.
 */
export async function settleAdopted(
  client: SupervisorClient,
  limits: SandboxLimits,
  logger: Logger,
): Promise<void> {
  const { state, executionId } = await client.ping(PING_TIMEOUT_MS);
  if (state === "busy" && executionId) {
    await client.interrupt(executionId, "cancelled").catch((error: unknown) => {
      logger.warn({ err: error }, "could not stop an orphaned run");
    });
    logger.info("stopped a run left by an earlier bot process");
  }
  await untilSettled(client, Date.now() + limits.executionTimeoutMs + limits.interruptGraceMs);
}

/**
 * Resolves once the supervisor answers that Python is idle. Where the bot attaches only after the
 * container started (Kubernetes), its `ready` line has gone by; asking is the only way to know.
 * Throws when it says Python is broken, or does not get there before `deadline`.
 */
export async function untilIdle(client: SupervisorClient, deadline: number): Promise<void> {
  const state = await untilSettled(client, deadline, true);
  if (state === "broken") throw new Error("the sandbox's Python did not start");
  if (state !== "idle") {
    throw new Error(`the sandbox did not become ready in time (it was ${state ?? "not answering"})`);
  }
}

/** Pings until idle or broken, or the deadline; the last state seen (null: no answer). */
async function untilSettled(
  client: SupervisorClient,
  deadline: number,
  retryUnanswered = false,
): Promise<string | null> {
  let last: string | null = null;
  for (;;) {
    try {
      last = (await client.ping(Math.max(1, Math.min(PING_TIMEOUT_MS, deadline - Date.now())))).state;
    } catch (error) {
      // A supervisor still importing Python may not answer the first ping in time.
      if (!retryUnanswered || client.broken || Date.now() >= deadline) throw error;
      last = null;
    }
    if (last === "idle" || last === "broken" || Date.now() >= deadline) return last;
    await sleep(POLL_MS);
  }
}
