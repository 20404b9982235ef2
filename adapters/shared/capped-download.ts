/**
 * Downloads a file a chat platform hosts, for any adapter: with a deadline, a size limit
 * checked before (Content-Length) and while reading (so a lying server cannot push more),
 * and an HTML page served in place of the file treated as an error, not data.
 */
import { AttachmentTooLargeError } from "../../src/bot/incoming-message.ts";

export class DownloadError extends Error {}

export interface CappedDownloadOptions {
  /** Who hosts the file, for messages: "Slack", "Discord". */
  host: string;
  maxBytes: number;
  /** The type the platform says the file has; an HTML answer for a non-HTML file is refused. */
  expectedMime: string;
  /** What to tell the user when an HTML page comes back instead of the file. */
  htmlProblem: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export async function downloadCapped(url: string, options: CappedDownloadOptions): Promise<Buffer> {
  const tooLarge = () => new AttachmentTooLargeError(options.maxBytes);
  // Every wait has a deadline: a download that stalls must not hold the conversation.
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const response = await (options.fetch ?? fetch)(url, {
    ...(options.headers ? { headers: options.headers } : {}),
    redirect: "follow",
    signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
  });
  if (!response.ok)
    throw new DownloadError(`${options.host} answered ${response.status} when asked for the file`);
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("text/html") && !options.expectedMime.includes("html")) {
    await response.body?.cancel();
    throw new DownloadError(options.htmlProblem);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > options.maxBytes) throw tooLarge();
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, size);
}
