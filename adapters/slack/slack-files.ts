/**
 * Downloads a file shared in Slack with the bot token. The token only ever goes to Slack's
 * own hosts (or the configured API host), the size is checked before and while reading,
 * and an HTML sign-in page served in place of the file is an error, not data.
 */
export class SlackFileError extends Error {}

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
    throw new SlackFileError("the file link does not point at Slack, so it was not downloaded");
  }
  // Every wait has a deadline: a download that stalls must not hold the conversation.
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const response = await (options.fetch ?? fetch)(url, {
    headers: { authorization: `Bearer ${options.token}` },
    signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
  });
  if (!response.ok) throw new SlackFileError(`Slack answered ${response.status} when asked for the file`);
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("text/html") && !options.expectedMime.includes("html")) {
    await response.body?.cancel();
    throw new SlackFileError(
      "Slack sent a sign-in page instead of the file (the app needs the files:read scope, and to be in the channel)",
    );
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel();
    throw new SlackFileError(`it is larger than the ${Math.round(options.maxBytes / 1024 / 1024)} MB limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > options.maxBytes) {
      throw new SlackFileError(
        `it is larger than the ${Math.round(options.maxBytes / 1024 / 1024)} MB limit`,
      );
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, size);
}
