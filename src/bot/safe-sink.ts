/** The reply stream as the core writes to it: an adapter that fails to render an event is logged, never fatal. */
import type { Logger } from "../logger.ts";
import type { ReplyEvent, ReplySink } from "../present/reply-events.ts";

/** A renderer that throws must not end the run: the failure is logged and the run goes on. */
export function safeSink(sink: ReplySink, log: Logger, seen: (event: ReplyEvent) => void): ReplySink {
  return async (event: ReplyEvent) => {
    seen(event);
    try {
      await sink(event);
    } catch (error) {
      log.warn({ err: error, event: event.type }, "the adapter failed to render a reply event");
    }
  };
}
