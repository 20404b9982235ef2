/** A mistake in how the command was called: shown with a hint to --help, exit code 2. */
export class UsageError extends Error {}

/** Session and conversation names end up in container names and keys: keep them plain. */
export function checkName(flag: string, value: string | undefined): void {
  if (value !== undefined && !/^[\w.-]{1,64}$/.test(value)) {
    throw new UsageError(`${flag} NAME: use up to 64 letters, digits, '.', '_' or '-'`);
  }
}
