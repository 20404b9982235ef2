/**
 * Waits for work unless a signal aborts first. The work goes on either way (it may be shared,
 * like a container that is opening); only this wait for it ends.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | "aborted"> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve("aborted");
  return new Promise<T | "aborted">((resolve, reject) => {
    const onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
