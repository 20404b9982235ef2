/**
 * Readiness: whether this process can answer a message now. Each part (the store, Docker, the
 * sandbox image, each chat platform) is checked at once with its own deadline, and a failing
 * part is named with its reason, so whoever reads /readyz knows what to fix, not only that
 * something is wrong.
 */
import { errorMessage } from "../errors.ts";

export interface ReadinessCheck {
  /** What is checked, as operators call it: "store", "docker", "sandbox-image", "adapter:web". */
  part: string;
  /** Resolves when the part is ready; throws (or rejects) with what is wrong when not. */
  check(signal: AbortSignal): Promise<void>;
}

export interface FailingPart {
  part: string;
  reason: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** Every part that failed, in the order the checks were given. */
  failing: FailingPart[];
  /** The parts that passed. */
  passed: string[];
}

/** A check that is still pending after this long fails: a hung Docker socket must not hang the probe. */
export const DEFAULT_CHECK_TIMEOUT_MS = 3_000;

export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number = DEFAULT_CHECK_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map((check) => runCheck(check, timeoutMs)));
  const failing: FailingPart[] = [];
  const passed: string[] = [];
  results.forEach((reason, index) => {
    const part = checks[index]?.part ?? `check ${index + 1}`;
    if (reason === null) passed.push(part);
    else failing.push({ part, reason });
  });
  return { ready: failing.length === 0, failing, passed };
}

/** Null when the part is ready, else why not. */
async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string | null> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
  });
  try {
    // Started inside a promise, so a check that throws before returning one is a failure too.
    const outcome = Promise.resolve()
      .then(() => check.check(controller.signal))
      .then(
        () => null,
        (error: unknown) => errorMessage(error) || "failed without a message",
      );
    return await Promise.race([outcome, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
