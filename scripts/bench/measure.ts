/** Samples, medians and p95s for the benchmark; nothing here knows what is measured. */

export interface Row {
  name: string;
  runs: number;
  median: number;
  p95: number;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

export function row(name: string, samples: number[]): Row {
  return { name, runs: samples.length, median: percentile(samples, 50), p95: percentile(samples, 95) };
}

/** Milliseconds the work took. */
export async function time(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Runs `sample` n times, one after another, and returns the timings. */
export async function repeat(n: number, sample: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) samples.push(await sample());
  return samples;
}
