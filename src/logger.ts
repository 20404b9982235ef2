import { type Logger, type LoggerOptions, pino } from "pino";
import { requestLogFields } from "./request-context.ts";

export type { Logger } from "pino";

/** Paths that may carry credentials anywhere in a log object; pino replaces them before writing. */
const REDACTED_PATHS = [
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "botToken",
  "appToken",
  "signingSecret",
  "*.botToken",
  "*.appToken",
  "*.signingSecret",
];

export interface LoggerSettings {
  level?: string;
  /** Where log lines go; defaults to stderr so stdout stays free for CLI output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    base: { app: "code-interpreter-bot" },
    // Every line written while a request is handled names it (src/request-context.ts).
    mixin: requestLogFields,
  };
  return pino(options, settings.destination ?? pino.destination(2));
}

/** A logger that drops everything, for tests and for library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
