/**
 * Downloads a file attached to a Discord message from the URL the payload gives. Discord's CDN
 * needs no token, so none is ever sent; only http(s) links are followed.
 */
import type { Attachment } from "../../src/bot/incoming-message.ts";
import { DownloadError, downloadCapped } from "../shared/capped-download.ts";
import type { DiscordAttachmentRef } from "./parse.ts";

/** A file of a message or command as the core takes it: fetched only when the core asks. */
export function discordAttachment(file: DiscordAttachmentRef): Attachment {
  const mimeType = file.contentType ?? "application/octet-stream";
  return {
    name: file.name,
    mimeType,
    size: file.size,
    fetch: (maxBytes, signal) =>
      downloadDiscordFile(file.url, { maxBytes, expectedMime: mimeType, ...(signal ? { signal } : {}) }),
  };
}

export async function downloadDiscordFile(
  url: string,
  options: { maxBytes: number; expectedMime: string; signal?: AbortSignal; timeoutMs?: number },
): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError("the attachment has no valid link");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new DownloadError("the attachment's link is not a web address, so it was not downloaded");
  }
  return downloadCapped(parsed.href, {
    host: "Discord",
    maxBytes: options.maxBytes,
    expectedMime: options.expectedMime,
    htmlProblem:
      "Discord sent a web page instead of the file; the link may have expired, so send the file again",
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}
