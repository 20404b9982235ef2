/**
 * The sandbox says where a run is through a plain callback (`onStage`), while reply events are
 * sent and awaited one after another. This bridges the two: stages go out in the order they
 * come, and the caller waits for them to be sent before the events that follow the run, so a
 * slow renderer can never show "running" after the run's result.
 */
import type { RunStage } from "../sandbox/types.ts";
import type { ReplySink } from "./reply-events.ts";

export interface StageReporter {
  /** For `ExecuteOptions.onStage`. */
  readonly onStage: (stage: RunStage) => void;
  /** Resolves when every stage reported so far has been sent; rejects if sending one failed. */
  settled(): Promise<void>;
}

export function reportStages(emit: ReplySink): StageReporter {
  let chain: Promise<void> = Promise.resolve();
  return {
    onStage: (stage) => {
      chain = chain.then(() => emit({ type: "sandbox-stage", stage }));
      // Seen by `settled`; this only keeps a run that throws from leaving an unhandled rejection.
      chain.catch(() => undefined);
    },
    settled: () => chain,
  };
}
