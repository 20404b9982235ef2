// Follows one conversation over Server-Sent Events. The browser reconnects by itself and sends
// the last event id, and the server replays every post changed since.
import { api } from "./api.js";

export function follow(id, afterVersion, handlers) {
  const source = new EventSource(api.eventsUrl(id, afterVersion));
  const on = (name, handler) =>
    source.addEventListener(name, (event) => {
      handler(JSON.parse(event.data));
    });
  on("post", handlers.post);
  on("activity", handlers.activity);
  on("conversation", handlers.conversation);
  on("deleted", () => {
    source.close();
    handlers.deleted();
  });
  source.addEventListener("open", () => handlers.connected(true));
  source.addEventListener("error", () => handlers.connected(false));
  return () => source.close();
}
