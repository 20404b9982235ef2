/**
 * One error base for the whole bot. Subclasses are grouped by what the caller does next:
 * retry later, tell the user something they can act on, or stop the process.
 * A failing user script is NOT an error here: the sandbox returns it as data.
 */
export type ErrorAction = "retry" | "tell-user" | "stop";

export class BotError extends Error {
  readonly code: string;
  readonly action: ErrorAction;

  constructor(code: string, message: string, options: { action: ErrorAction; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.action = options.action;
  }
}

/** A passing fault (a busy daemon, a broken channel that was reset): trying again may work. */
export class RetryableError extends BotError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { action: "retry", cause });
  }
}

/** Something the user (or admin) must change; the message says what. */
export class UserFacingError extends BotError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { action: "tell-user", cause });
  }
}

/** Misconfiguration or a missing dependency: the process cannot do its job until an admin acts. */
export class FatalError extends BotError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { action: "stop", cause });
  }
}

/** Wraps anything thrown by code we do not own, at the point where it enters ours. */
export function asBotError(error: unknown, code = "internal"): BotError {
  if (error instanceof BotError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BotError(code, message, { action: "tell-user", cause: error });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
