/**
 * Server-Sent Events to the pages that have a conversation open. An event that changes the
 * transcript carries the conversation's version as its id, so a page that reconnects sends
 * Last-Event-ID and gets every post changed since (web-conversations.ts replays them); the
 * status indicator is sent as it is, unnumbered. A page that stops reading is dropped once
 * its backlog is large, and comes back through the same replay.
 */
import type { ServerResponse } from "node:http";

export interface ChatEvent {
  event: "post" | "activity" | "conversation" | "deleted";
  data: unknown;
  /** The transcript version the event brings the page to. */
  id?: number;
}

const HEARTBEAT_MS = 15_000;
/** Bytes waiting for a slow reader before it is dropped. */
const MAX_BACKLOG = 8 * 1024 * 1024;

export class EventHub {
  private readonly streams = new Map<string, Set<ServerResponse>>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    // Proxies and browsers close a silent connection; a comment line keeps it open.
    this.heartbeat = setInterval(() => this.writeAll(": ping\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Adds a response that has already been sent its headers; returns how to remove it. */
  subscribe(conversationId: string, response: ServerResponse): () => void {
    let set = this.streams.get(conversationId);
    if (!set) {
      set = new Set();
      this.streams.set(conversationId, set);
    }
    set.add(response);
    const remove = () => {
      set.delete(response);
      if (set.size === 0 && this.streams.get(conversationId) === set) this.streams.delete(conversationId);
    };
    response.once("close", remove);
    return remove;
  }

  publish(conversationId: string, event: ChatEvent): void {
    for (const response of this.streams.get(conversationId) ?? []) send(response, event);
  }

  /** Tells a conversation's pages it is gone, and ends their streams. */
  end(conversationId: string, last?: ChatEvent): void {
    for (const response of this.streams.get(conversationId) ?? []) {
      if (last) send(response, last);
      response.end();
    }
    this.streams.delete(conversationId);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const id of [...this.streams.keys()]) this.end(id);
  }

  private writeAll(text: string): void {
    for (const set of this.streams.values()) for (const response of set) write(response, text);
  }
}

export function send(response: ServerResponse, event: ChatEvent): void {
  const id = event.id === undefined ? "" : `id: ${event.id}\n`;
  write(response, `${id}event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
}

function write(response: ServerResponse, text: string): void {
  if (response.writableEnded || response.destroyed) return;
  if (response.writableLength > MAX_BACKLOG) {
    response.destroy();
    return;
  }
  response.write(text);
}
