/**
 * What the web chat's page can do besides asking, over real HTTP on 127.0.0.1: cancel a run,
 * list and download the sandbox's files, show a DataFrame as an HTML table, pick up its event
 * stream where it left off, rename and delete a conversation (deleting resets its sandbox),
 * and work without a model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationKey } from "../../adapters/web/web-adapter.ts";
import type { PostView } from "../../adapters/web/web-render.ts";
import { conversationKeyString } from "../../src/bot/incoming-message.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { integerFrameDisplay } from "../fakes/sandbox/rich-displays.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createWebHarness, visibleText, type WebHarness } from "../helpers/web-harness.ts";

const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
sandbox.script("wait_forever()", async ({ sleep }) => {
  await sleep(600_000);
  return {};
});
sandbox.script("save()", ({ files }) => {
  files.write("out/report.csv", "a,b\n1,2\n");
  return { files: [{ path: "out/report.csv", data: "a,b\n1,2\n" }] };
});

sandbox.script("squares()", () => ({
  displays: [
    integerFrameDisplay(
      ["n", "square"],
      Array.from({ length: 10_000 }, (_, i) => [i, i * i]),
    ),
  ],
}));
sandbox.script("markup()", () => ({
  displays: [
    {
      isResult: true,
      text: "  <b>name</b>\n0  <script>alert(1)</script>\n1  a & b",
      // pandas' own HTML, made by Python: the page must never show it.
      html: '<table class="dataframe"><tr><td><script>alert("from pandas")</script></td></tr></table>',
      table: {
        kind: "DataFrame",
        columns: ["", "<b>name</b>"],
        indexColumns: 1,
        numeric: [false, false],
        head: [
          ["0", "<script>alert(1)</script>"],
          ["1", "a & b"],
        ],
        tail: [],
        totalRows: 2,
        totalColumns: 1,
        csvMissing: null,
      },
      csv: Buffer.from("<b>name</b>\n<script>alert(1)</script>\na & b\n"),
    },
  ],
}));

/** The table rows of a post's HTML, each as its markup. */
const tableRows = (html: string) => html.match(/<tr[\s>].*?<\/tr>/g) ?? [];

async function tablePosts(harness: WebHarness, thread: string): Promise<PostView[]> {
  const { posts } = await harness.client.json<{ posts: PostView[] }>(`/api/conversations/${thread}`);
  return posts.filter((post) => post.kind === "table");
}

let harness: WebHarness;
beforeAll(async () => {
  harness = await createWebHarness({ sandbox });
});
afterAll(async () => harness?.close());

describe("web chat", () => {
  it("cancels a running request; the indicator says what it was doing", async () => {
    const { client, driver } = harness;
    const sent = await driver.startThread("```python\nwait_forever()\n```");
    const events = await client.events(sent.thread);
    await events.waitFor(
      (all) =>
        all.some((e) => e.event === "activity" && JSON.parse(e.data).state === "running-code") || undefined,
      10_000,
      "the running-code indicator",
    );
    const cancel = await client.json<{ cancelled: boolean }>(`/api/conversations/${sent.thread}/cancel`, {
      method: "POST",
    });
    expect(cancel.cancelled).toBe(true);
    // A cancelled run is a result, as on every platform: the reply ends and says so.
    expect(await driver.waitForReply(sent)).toBe("done");
    expect(driver.view(sent.thread).texts.join("\n")).toContain("Cancelled.");
    await events.waitFor(
      (all) =>
        all
          .filter((e) => e.event === "activity")
          .at(-1)
          ?.data.includes('"idle"')
          ? true
          : undefined,
      10_000,
      "the idle indicator",
    );
    events.close();
  });

  it("lists the sandbox's files and downloads them byte for byte, and nothing it did not list", async () => {
    const { client, driver } = harness;
    const sent = await driver.startThread("```python\nsave()\n```");
    expect(await driver.waitForReply(sent)).toBe("done");
    const { files } = await client.json<{ files: Array<{ path: string; size: number }> }>(
      `/api/conversations/${sent.thread}/files`,
    );
    expect(files).toEqual([expect.objectContaining({ path: "out/report.csv", size: 8 })]);
    const download = await client.fetch(`/api/conversations/${sent.thread}/files/out/report.csv`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toContain('attachment; filename="report.csv"');
    expect(await download.text()).toBe("a,b\n1,2\n");
    const outside = await client.fetch(`/api/conversations/${sent.thread}/files/..%2F..%2Fetc%2Fpasswd`);
    expect(outside.status).toBe(404);
  });

  it("shows a 10,000-row DataFrame as an HTML table: first and last rows, a note, and its CSV", async () => {
    const { client, driver } = harness;
    const sent = await driver.startThread("```python\nsquares()\n```");
    expect(await driver.waitForReply(sent)).toBe("done");
    // A reload: the transcript read back from web.sqlite.
    const tables = await tablePosts(harness, sent.thread);
    expect(tables).toHaveLength(1);
    const post = tables[0] as PostView;
    const rows = tableRows(post.html);
    expect(rows).toHaveLength(1 + 20 + 1 + 5);
    expect(rows[0]).toBe(
      '<tr><th scope="col" class="index"></th><th scope="col" class="num">n</th>' +
        '<th scope="col" class="num">square</th></tr>',
    );
    expect(rows[1]).toBe(
      '<tr><th scope="row" class="index">0</th><td class="num">0</td><td class="num">0</td></tr>',
    );
    expect(rows[20]).toContain('<th scope="row" class="index">19</th>');
    expect(rows[21]).toBe(
      '<tr class="gap"><th scope="row" class="index">…</th><td class="num">…</td><td class="num">…</td></tr>',
    );
    expect(rows[22]).toContain('<th scope="row" class="index">9995</th>');
    expect(rows[26]).toBe(
      '<tr><th scope="row" class="index">9999</th><td class="num">9999</td><td class="num">99980001</td></tr>',
    );
    expect(visibleText(post.html)).toMatch(
      /^ℹ️ 10,000 rows × 2 columns: 9,975 rows are not shown; the whole table is attached as table-1\.csv\.$/m,
    );
    expect(post.html).not.toContain("dataframe");
    expect(post.attachments).toEqual([
      expect.objectContaining({ name: "table-1.csv", mime: "text/csv", kind: "file" }),
    ]);
    const csv = (await client.download(post.attachments[0]?.url ?? "")).toString().trimEnd().split("\n");
    expect(csv).toHaveLength(10_001);
    expect([csv[0], csv[1], csv.at(-1)]).toEqual(["n,square", "0,0", "9999,99980001"]);
    // The page following the conversation saw the same post live, and no text table besides it.
    const live = driver.view(sent.thread).texts;
    expect(live.filter((text) => text.includes("99980001"))).toEqual([visibleText(post.html)]);
    expect(live.join("\n")).toMatch(/^9999 {2}9999 {2}99980001$/m);
    // A page that loads later gets it replayed over its event stream.
    const replay = await client.events(sent.thread);
    const replayed = await replay.waitFor(
      (events) => (events.some((e) => e.event === "activity") ? events : undefined),
      5_000,
      "the replay",
    );
    replay.close();
    const again = replayed
      .filter((e) => e.event === "post")
      .map((e) => JSON.parse(e.data) as PostView)
      .filter((view) => view.kind === "table");
    expect(again.map((view) => view.html)).toEqual([post.html]);
  });

  it("shows markup in a table's cells as text, and never pandas' own HTML", async () => {
    const { driver } = harness;
    const sent = await driver.startThread("```python\nmarkup()\n```");
    expect(await driver.waitForReply(sent)).toBe("done");
    const [post] = await tablePosts(harness, sent.thread);
    const html = post?.html ?? "";
    expect(tableRows(html)).toEqual([
      '<tr><th scope="col" class="index"></th><th scope="col">&lt;b&gt;name&lt;/b&gt;</th></tr>',
      '<tr><th scope="row" class="index">0</th><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>',
      '<tr><th scope="row" class="index">1</th><td>a &amp; b</td></tr>',
    ]);
    expect(html).not.toMatch(/<(script|b)[\s>]/);
    expect(html).not.toContain("from pandas");
    // Shown whole: nothing to say about it and nothing to download.
    expect(post?.attachments).toEqual([]);
    expect(visibleText(html)).not.toContain("ℹ️");
  });

  it("replays what changed after the last event id to a page that reconnects", async () => {
    const { client, driver } = harness;
    harness.bot.fake.enqueue({ kind: "reply", content: "First answer." });
    const first = await driver.startThread("first");
    await driver.waitForReply(first);
    const { conversation } = await client.json<{ conversation: { version: number } }>(
      `/api/conversations/${first.thread}`,
    );
    harness.bot.fake.enqueue({ kind: "reply", content: "Second answer." });
    const second = await driver.reply(first.thread, "second");
    await driver.waitForReply(second);
    const resumed = await client.events(first.thread, String(conversation.version));
    const replayed = await resumed.waitFor(
      (events) => (events.some((e) => e.event === "activity") ? events : undefined),
      5_000,
      "the replay",
    );
    const texts = replayed
      .filter((e) => e.event === "post")
      .map((e) => visibleText((JSON.parse(e.data) as PostView).html));
    expect(texts).toContain("second");
    expect(texts).toContain("Second answer.");
    expect(texts.join("\n")).not.toContain("First answer.");
    resumed.close();
  });

  it("renames, and deletes a conversation with its sandbox's variables and files", async () => {
    const { client, driver } = harness;
    const sent = await driver.startThread("```python\nsave()\n```");
    await driver.waitForReply(sent);
    const list = await client.json<{ conversations: Array<{ id: string; title: string }> }>(
      "/api/conversations",
    );
    expect(list.conversations.find((c) => c.id === sent.thread)?.title).toBe("save()");
    const renamed = await client.fetch(`/api/conversations/${sent.thread}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "  Quarterly <b>report</b> " }),
    });
    expect(((await renamed.json()) as { conversation: { title: string } }).conversation.title).toBe(
      "Quarterly <b>report</b>",
    );
    const session = await sandbox.acquire(conversationKeyString(conversationKey(sent.thread)));
    expect((await session.listFiles()).map((f) => f.path)).toEqual(["out/report.csv"]);
    const deleted = await client.fetch(`/api/conversations/${sent.thread}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect((await session.listFiles()).map((f) => f.path)).toEqual([]);
    expect((await client.fetch(`/api/conversations/${sent.thread}`)).status).toBe(404);
    const after = await client.json<{ conversations: Array<{ id: string }> }>("/api/conversations");
    expect(after.conversations.map((c) => c.id)).not.toContain(sent.thread);
  });

  it("answers a resent message once", async () => {
    const { client } = harness;
    const id = await client.createConversation();
    harness.bot.fake.enqueue({ kind: "reply", content: "Once." });
    const requests = harness.bot.fake.requests.length;
    const first = await client.send(id, "hello", [], "client-id-0001");
    const again = await client.send(id, "hello", [], "client-id-0001");
    const a = (await first.json()) as { post: { id: string } };
    const b = (await again.json()) as { post: { id: string } };
    expect(b.post.id).toBe(a.post.id);
    const events = await client.events(id);
    await events.waitFor(
      (all) =>
        all.some((e) => e.event === "post" && JSON.parse(e.data).status === "done") ? true : undefined,
      10_000,
      "the reply",
    );
    events.close();
    expect(harness.bot.fake.requests.length).toBe(requests + 1);
    const view = await client.json<{ posts: PostView[] }>(`/api/conversations/${id}`);
    expect(view.posts.filter((post) => post.role === "user")).toHaveLength(1);
  });
});

describe("web chat without a model", () => {
  let bare: WebHarness;
  beforeAll(async () => {
    const fake = new FakeSandbox({ limits: TEST_LIMITS });
    fake.script("print(6 * 7)", () => ({ stdout: "42\n" }));
    bare = await createWebHarness({ sandbox: fake, withModel: false });
  });
  afterAll(async () => bare?.close());

  it("tells the page, says so to a question, and still runs code", async () => {
    expect(await bare.client.json("/api/info")).toMatchObject({ modelConfigured: false });
    const question = await bare.driver.startThread("what is six times seven?");
    await bare.driver.waitForReply(question);
    expect(bare.driver.view(question.thread).texts.join("\n")).toContain("none is configured");
    const code = await bare.driver.startThread("```python\nprint(6 * 7)\n```");
    expect(await bare.driver.waitForReply(code)).toBe("done");
    expect(bare.driver.view(code.thread).texts.join("\n")).toContain("42");
  });
});
