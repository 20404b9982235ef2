import type { SlotQueue } from "../../src/sandbox/fair-queue.ts";
import type { Arrivals as Admissions } from "./arrivals.ts";

export interface Admitted {
  label: string;
  release: () => void;
}

/** Queues `label` for `owner` and reports its admission to `admissions`. */
export function queueRun(
  slots: SlotQueue,
  admissions: Admissions<Admitted>,
  owner: string,
  label: string,
): Promise<(() => void) | null> {
  const entered = slots.enter(owner);
  void entered.then((release) => {
    if (release) admissions.push({ label, release });
  });
  return entered;
}

/** Takes one slot and keeps it, so everything entered afterwards waits. */
export async function holdOnlySlot(slots: SlotQueue): Promise<() => void> {
  const release = await slots.enter("holder");
  if (!release) throw new Error("the first slot should be free");
  return release;
}

/** Frees slots one at a time and returns the labels in the order they were admitted. */
export async function admitAll(
  admissions: Admissions<Admitted>,
  first: () => void,
  count: number,
): Promise<string[]> {
  const order: string[] = [];
  first();
  for (let i = 0; i < count; i += 1) {
    const { label, release } = await admissions.next();
    order.push(label);
    release();
  }
  return order;
}
