/**
 * For the scripts that build images: SIGINT or SIGTERM aborts the returned signal, so the build
 * stops and cleans up; a second one ends the process at once.
 */
export function abortOnInterrupt(what: string): AbortSignal {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`received ${signal}; stopping ${what}`);
      controller.abort(new Error(`interrupted by ${signal}`));
      process.once(signal, () => process.exit(130));
    });
  }
  return controller.signal;
}
