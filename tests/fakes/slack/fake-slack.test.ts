/**
 * Drives the real `@slack/web-api` WebClient against the fake, so the fake is checked against
 * the SDK's own wire handling (form encoding, the v2 upload flow, 429 retries, `ok`/`error`)
 * rather than against our reading of Slack's documentation. Bolt is in `fake-slack-bolt.test.ts`.
 */
import { type Logger, LogLevel, retryPolicies, WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeSlack, SIGN_IN_PAGE, startFakeSlack } from "./fake-slack.ts";

const CHANNEL = "C0GENERAL";
const USER = "U0ALICE";

let fake: FakeSlack;

beforeEach(async () => {
  fake = await startFakeSlack();
});

afterEach(async () => {
  await fake.close();
});

const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

function webClient(token = fake.botToken): WebClient {
  // The rapid policy only drops p-retry's own 1–2 s backoff; the Retry-After wait stays.
  return new WebClient(token, {
    slackApiUrl: fake.apiUrl,
    logger: silent,
    retryConfig: retryPolicies.rapidRetryPolicy,
  });
}

describe("Web API, through the real WebClient", () => {
  it("posts, updates and reacts, keeping every version of an updated message", async () => {
    const client = webClient();
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: "Working…" });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    const ts = posted.ts ?? "";
    await client.chat.update({ channel: CHANNEL, ts, text: "Done." });
    await client.reactions.add({ channel: CHANNEL, timestamp: ts, name: "eyes" });
    await expect(
      client.reactions.add({ channel: CHANNEL, timestamp: ts, name: "eyes" }),
    ).rejects.toMatchObject({
      data: { error: "already_reacted" },
    });
    await client.reactions.remove({ channel: CHANNEL, timestamp: ts, name: "eyes" });
    await expect(
      client.reactions.remove({ channel: CHANNEL, timestamp: ts, name: "eyes" }),
    ).rejects.toMatchObject({
      data: { error: "no_reaction" },
    });
    await expect(
      client.chat.update({ channel: CHANNEL, ts: "1700000000.000001", text: "?" }),
    ).rejects.toMatchObject({
      data: { error: "message_not_found" },
    });

    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      channel: CHANNEL,
      ts,
      text: "Done.",
      user: "UBOT",
      bot_id: "BBOT",
    });
    expect(fake.messages[0]?.versions.map((v) => v.text)).toEqual(["Working…", "Done."]);
    expect(fake.reactions).toEqual([{ channel: CHANNEL, timestamp: ts, name: "eyes", removed: true }]);
    expect(fake.calls[0]).toMatchObject({
      method: "chat.postMessage",
      args: { channel: CHANNEL, text: "Working…" },
      token: fake.botToken,
      ok: true,
    });
  });

  it("answers Slack's errors for long text, too many or too long blocks, and wrong tokens", async () => {
    const client = webClient();
    const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
    const error = (call: Promise<unknown>) =>
      call.then(
        () => "ok",
        (e: { data?: { error?: string } }) => e.data?.error,
      );
    expect(await error(client.chat.postMessage({ channel: CHANNEL, text: "x".repeat(40_001) }))).toBe(
      "msg_too_long",
    );
    const many = Array.from({ length: 51 }, () => section("hi"));
    expect(await error(client.chat.postMessage({ channel: CHANNEL, text: "t", blocks: many }))).toBe(
      "invalid_blocks",
    );
    const long = [section("y".repeat(3_001))];
    expect(await error(client.chat.postMessage({ channel: CHANNEL, text: "t", blocks: long }))).toBe(
      "invalid_blocks",
    );
    expect(await error(client.chat.postMessage({ channel: CHANNEL, text: "x".repeat(40_000) }))).toBe("ok");
    expect(await error(webClient("xoxb-wrong").auth.test())).toBe("invalid_auth");
    expect(await error(webClient(fake.appToken).chat.postMessage({ channel: CHANNEL, text: "t" }))).toBe(
      "not_allowed_token_type",
    );
    expect(await client.auth.test()).toMatchObject({
      ok: true,
      user_id: "UBOT",
      bot_id: "BBOT",
      team_id: "T0001",
    });
  });

  it("retries a 429 after its Retry-After, and fails a scripted error once", async () => {
    const client = webClient();
    fake.failNext("chat.postMessage", { status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    await client.chat.postMessage({ channel: CHANNEL, text: "after the limit" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const attempts = fake.calls.filter((c) => c.method === "chat.postMessage");
    expect(attempts.map((c) => [c.status, c.error])).toEqual([
      [429, "ratelimited"],
      [200, undefined],
    ]);

    fake.failNext("chat.postMessage", { error: "channel_not_found" });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: "lost" })).rejects.toMatchObject({
      data: { error: "channel_not_found" },
    });
    await client.chat.postMessage({ channel: CHANNEL, text: "found" });
    expect(fake.messages.map((m) => m.text)).toEqual(["after the limit", "found"]);
  });

  it("filesUploadV2 delivers the exact bytes into the thread, recorded once completed", async () => {
    const client = webClient();
    const root = await client.chat.postMessage({ channel: CHANNEL, text: "Here is your plot" });
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10]);
    await client.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: root.ts ?? "",
      file: bytes,
      filename: "plot.png",
      title: "y = x²",
      initial_comment: "The chart",
    });
    expect(fake.uploads).toEqual([
      {
        file_id: expect.stringMatching(/^F/),
        filename: "plot.png",
        title: "y = x²",
        bytes,
        channel_id: CHANNEL,
        thread_ts: root.ts,
        initial_comment: "The chart",
        encoding: "multipart",
      },
    ]);
    const methods = fake.calls.map((c) => c.method);
    expect(methods).toEqual([
      "chat.postMessage",
      "files.getUploadURLExternal",
      "files.completeUploadExternal",
    ]);
    expect(fake.calls[1]?.args).toMatchObject({ filename: "plot.png", length: String(bytes.length) });
    expect(fake.calls[2]?.args.files).toEqual([{ id: fake.uploads[0]?.file_id, title: "y = x²" }]);
  });

  it("refuses an upload POST with 429 and Retry-After, which the WebClient waits out", async () => {
    const client = webClient();
    fake.failNextUpload({ status: 429, retryAfterSeconds: 1 });
    const bytes = Buffer.from("a,b\n1,2\n");
    const started = Date.now();
    await client.filesUploadV2({ channel_id: CHANNEL, file: bytes, filename: "t.csv" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(fake.uploadPosts.map((post) => post.status)).toEqual([429, 200]);
    expect(fake.uploads.map((upload) => upload.bytes)).toEqual([bytes]);
  });

  it("takes raw bytes at the upload URL too, and shares nothing until completed", async () => {
    const client = webClient();
    const { upload_url: url, file_id: id } = await client.files.getUploadURLExternal({
      filename: "a.csv",
      length: 3,
    });
    const posted = await fetch(url ?? "", { method: "POST", body: "1,2" });
    expect(posted.status).toBe(200);
    expect(fake.uploads).toEqual([]);
    await client.files.completeUploadExternal({ files: [{ id: id ?? "" }], channel_id: CHANNEL });
    expect(fake.uploads[0]).toMatchObject({
      filename: "a.csv",
      title: "a.csv",
      encoding: "raw",
      thread_ts: undefined,
    });
    expect(fake.uploads[0]?.bytes.toString()).toBe("1,2");
  });

  it("answers lookups, opens DMs by user ID, and records ephemerals and assistant statuses", async () => {
    const client = webClient();
    expect((await client.users.info({ user: USER })).user).toMatchObject({ id: USER, is_bot: false });
    expect((await client.conversations.info({ channel: CHANNEL })).channel).toMatchObject({ id: CHANNEL });
    expect((await client.chat.postMessage({ channel: USER, text: "hi" })).channel).toBe("D0ALICE");
    await client.chat.postEphemeral({ channel: CHANNEL, user: USER, text: "only you" });
    await client.assistant.threads.setStatus({
      channel_id: "D0ALICE",
      thread_ts: "1.000100",
      status: "is running",
    });
    expect(fake.ephemerals).toMatchObject([{ channel: CHANNEL, user: USER, text: "only you" }]);
    expect(fake.assistantStatuses).toMatchObject([{ channel_id: "D0ALICE", status: "is running" }]);
  });
});

describe("private files", () => {
  it("serves the bytes to the bot token and the sign-in page to anyone else", async () => {
    const bytes = Buffer.from("col\n1\n");
    const file = fake.hostFile("data.csv", bytes, "text/csv");
    const auth = { authorization: `Bearer ${fake.botToken}` };
    const withToken = await fetch(file.url_private_download, { headers: auth });
    expect(withToken.headers.get("content-type")).toBe("text/csv");
    expect(Buffer.from(await withToken.arrayBuffer())).toEqual(bytes);
    const anonymous = await fetch(file.url_private_download);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await anonymous.text()).toBe(SIGN_IN_PAGE);
    const scopeless = fake.hostFile("x.csv", bytes, "text/csv", { asHtmlLoginPage: true });
    expect(await (await fetch(scopeless.url_private, { headers: auth })).text()).toBe(SIGN_IN_PAGE);
    expect(fake.fileDownloads.map((d) => d.authorized)).toEqual([true, false, false]);
  });
});
