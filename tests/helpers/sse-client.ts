/**
 * A Server-Sent Events reader over fetch, for tests that follow the web chat as its page does:
 * it parses the stream as the EventSource spec says (id, event, data fields; a blank line ends
 * an event) and lets a test wait for the event it is about.
 */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly controller = new AbortController();
  private ended = false;

  private constructor(readonly response: Response) {}

  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    const client = new SseClient(response);
    client.controller.signal.addEventListener("abort", () => controller.abort());
    if (response.ok && response.body) void client.read(response.body);
    return client;
  }

  /** Resolves with the first value `check` returns for the events so far, waiting for more as they come. */
  waitFor<T>(
    check: (events: SseEvent[]) => T | undefined,
    timeoutMs = 30_000,
    what = "an event",
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check(this.events);
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (this.ended) {
          finish();
          reject(new Error(`the event stream ended before ${what}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  /** The events of one type, their data parsed as JSON. */
  all<T>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => JSON.parse(e.data) as T);
  }

  close(): void {
    this.controller.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    let current: { id: string | null; event: string; data: string[] } = {
      id: null,
      event: "message",
      data: [],
    };
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf("\n");
          if (line === "") {
            if (current.data.length > 0) {
              this.events.push({ id: current.id, event: current.event, data: current.data.join("\n") });
              this.notify();
            }
            current = { id: null, event: "message", data: [] };
            continue;
          }
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "id") current.id = value;
          else if (field === "event") current.event = value;
          else if (field === "data") current.data.push(value);
        }
      }
    } catch {
      // Aborted by close(), or the server ended the stream.
    }
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
