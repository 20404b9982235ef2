/** A SandboxAdmission over the fake container runtime, for its unit tests. */
import { expect } from "vitest";
import type { WaitOptions } from "../../src/sandbox/container-host.ts";
import type { AttachedContainer } from "../../src/sandbox/container-runtime.ts";
import { SandboxAdmission } from "../../src/sandbox/sandbox-admission.ts";
import type { RunStage } from "../../src/sandbox/types.ts";
import {
  Arrivals,
  capturingLogger,
  Deferred,
  FakeContainerRuntime,
  type LogLine,
} from "../fakes/sandbox/fake-container-runtime.ts";

export interface AdmissionUnderTest {
  admission: SandboxAdmission;
  runtime: FakeContainerRuntime;
  logs: LogLine[];
  /** Each call of suspendIdle, answered when the test resolves it. */
  suspensions: Arrivals<Deferred<boolean>>;
  readonly suspendCalls: number;
  /** Fails the test if the host holds, or ever held, more containers than the live limit. */
  withinLimit: () => void;
}

export function admissionOf(limits: {
  maxLive: number;
  maxRunning?: number;
  poolSize?: number;
}): AdmissionUnderTest {
  const runtime = new FakeContainerRuntime();
  const { logger, lines } = capturingLogger();
  const suspensions = new Arrivals<Deferred<boolean>>();
  let suspendCalls = 0;
  const admission = new SandboxAdmission({
    runtime: runtime.asRuntime(),
    logger,
    maxLive: limits.maxLive,
    maxRunning: limits.maxRunning ?? 0,
    poolSize: limits.poolSize ?? 0,
    warmUpTimeoutMs: 5_000,
    suspendIdle: () => {
      suspendCalls += 1;
      const answer = new Deferred<boolean>();
      suspensions.push(answer);
      return answer.promise;
    },
  });
  return {
    admission,
    runtime,
    logs: lines,
    suspensions,
    get suspendCalls() {
      return suspendCalls;
    },
    withinLimit: () => {
      expect(admission.liveCount).toBeLessThanOrEqual(limits.maxLive);
      expect(runtime.alive.size).toBeLessThanOrEqual(admission.liveCount);
      expect(runtime.peakAlive).toBeLessThanOrEqual(limits.maxLive);
    },
  };
}

/** Wait options that record the stages reported. */
export function waiting(owner: string, extra: Omit<WaitOptions, "owner" | "onStage"> = {}) {
  const stages: RunStage[] = [];
  const options: WaitOptions = { owner, ...extra, onStage: (stage) => stages.push(stage) };
  return { options, stages };
}

/** Opens a session whose container is created (no pool, room free), letting the start succeed. */
export async function openCreated(
  { admission, runtime }: AdmissionUnderTest,
  key: string,
  owner = key,
): Promise<AttachedContainer> {
  const opening = admission.open(key, { owner });
  (await runtime.starts.next()).succeed();
  const container = await opening;
  if (!container) throw new Error(`${key} should have been given a container`);
  return container;
}
