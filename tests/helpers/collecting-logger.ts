/** A real pino logger whose lines a test reads back, parsed. */
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/logger.ts";

export function collectingLogger(level = "info"): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  // pino writes each line synchronously to a plain stream, so the lines are here as soon as logged.
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level, destination: stream }), lines };
}
