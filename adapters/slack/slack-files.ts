/**
 * Downloads a file shared in Slack with the bot token. The token only ever goes to Slack's
 * own hosts (or the configured API host), the size is checked before and while reading,
 * and an HTML sign-in page served in place of the file is an error, not data.
 */
import { DownloadError, downloadCapped } from "../shared/capped-download.ts";

export function mayReceiveToken(url: string, apiUrl: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  const api = new URL(apiUrl);
  if (target.origin === api.origin) return true;
  if (target.protocol !== "https:") return false;
  return /(^|\.)slack\.com$|(^|\.)slack-gov\.com$/.test(target.hostname);
}

export async function downloadSlackFile(
  url: string,
  options: {
    token: string;
    apiUrl: string;
    maxBytes: number;
    expectedMime: string;
    signal?: AbortSignal;
    timeoutMs?: number;
    fetch?: typeof fetch;
  },
): Promise<Buffer> {
  if (!mayReceiveToken(url, options.apiUrl)) {
    throw new DownloadError("the file link does not point at Slack, so it was not downloaded");
  }
  return downloadCapped(url, {
    host: "Slack",
    maxBytes: options.maxBytes,
    expectedMime: options.expectedMime,
    htmlProblem:
      "Slack sent a sign-in page instead of the file (the app needs the files:read scope, and to be in the channel)",
    headers: { authorization: `Bearer ${options.token}` },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
