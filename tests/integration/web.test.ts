/**
 * The web chat's safety, over real HTTP on 127.0.0.1: who may use it (the token, the sign-in
 * cookie, the loopback host), what a request from another site may do (nothing), how the page
 * shows model and Python output (escaped), how it serves HTML that Python made (sandboxed),
 * and an upload over the cap (told, and the conversation goes on).
 */

import { mkdtemp, readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebAdapter } from "../../adapters/web/web-adapter.ts";
import type { PostView } from "../../adapters/web/web-render.ts";
import { silentLogger } from "../../src/logger.ts";
import { readPlatformSettings } from "../../src/platforms.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { createWebHarness, visibleText, type WebHarness } from "../helpers/web-harness.ts";

const TOKEN = "test-token-0123456789abcdef";

describe("web chat settings", () => {
  it("refuses a non-loopback address without WEB_TOKEN, and says what to set", () => {
    const { problems } = readPlatformSettings({ WEB_HOST: "0.0.0.0" });
    expect(problems).toEqual([
      "WEB_HOST=0.0.0.0 makes the web chat reachable from other machines, so it needs WEB_TOKEN: set WEB_TOKEN " +
        "to a long random secret (for example the output of `openssl rand -hex 32`), or leave WEB_HOST at 127.0.0.1. " +
        "Under docker compose the web chat listens on every interface of its container (the host publishes it on " +
        "loopback only), so put WEB_TOKEN in .env there.",
    ]);
    expect(readPlatformSettings({ WEB_HOST: "0.0.0.0", WEB_TOKEN: TOKEN }).problems).toEqual([]);
    expect(readPlatformSettings({ WEB_HOST: "0.0.0.0", WEB_TOKEN: "short" }).problems[0]).toMatch(
      /WEB_TOKEN is 5 characters long/,
    );
  });

  it("is on by itself only when no chat platform is configured", () => {
    expect(readPlatformSettings({}).settings.web).toEqual({ host: "127.0.0.1", port: 8080, token: null });
    const slack = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" };
    expect(readPlatformSettings(slack).settings.web).toBeNull();
    expect(
      readPlatformSettings({ ...slack, WEB_ENABLED: "true", WEB_PORT: "9000" }).settings.web,
    ).toMatchObject({
      port: 9000,
    });
    expect(readPlatformSettings({ WEB_ENABLED: "false" }).settings.web).toBeNull();
  });
});

describe("web chat with a token", () => {
  let harness: WebHarness;
  beforeAll(async () => {
    harness = await createWebHarness({ sandbox: new FakeSandbox({ limits: TEST_LIMITS }), token: TOKEN });
  });
  afterAll(async () => harness?.close());

  it("answers 401 without the token (API, events, files) and serves with it", async () => {
    const { client } = harness;
    const id = await client.createConversation();
    const upload = await client.send(id, "", [
      { name: "a.txt", data: Buffer.from("hello"), mimeType: "text/plain" },
    ]);
    expect(upload.status).toBe(202);
    const view = await client.json<{ posts: PostView[] }>(`/api/conversations/${id}`);
    const fileUrl = view.posts[0]?.attachments[0]?.url ?? "";
    expect(fileUrl).toMatch(/^\/files\//);
    for (const url of ["/api/conversations", `/api/conversations/${id}/events`, fileUrl, "/app.js"]) {
      const bare = await fetch(`${client.url}${url}`);
      expect(bare.status, url).toBe(401);
      await bare.body?.cancel();
      const wrong = await fetch(`${client.url}${url}`, {
        headers: { authorization: "Bearer not-the-token-at-all" },
      });
      expect(wrong.status, url).toBe(401);
      await wrong.body?.cancel();
      const ok = await fetch(`${client.url}${url}`, { headers: client.headers() });
      expect(ok.status, url).toBe(200);
      await ok.body?.cancel();
    }
    expect(await client.download(fileUrl)).toEqual(Buffer.from("hello"));
    // A person opening the page is sent to sign in; the sign-in page itself needs no token.
    const page = await fetch(`${client.url}/`, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/signin");
    expect((await fetch(`${client.url}/signin`)).status).toBe(200);
  });

  it("signs in with an HttpOnly, SameSite=Strict cookie that is not the token", async () => {
    const { url } = harness.client;
    const headers = { "content-type": "application/json", "x-cib-request": "1" };
    const wrong = await fetch(`${url}/api/signin`, {
      method: "POST",
      headers,
      body: JSON.stringify({ token: "nope" }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const right = await fetch(`${url}/api/signin`, {
      method: "POST",
      headers,
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(right.status).toBe(200);
    const cookie = right.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^cib_session=[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(";")[0] ?? "";
    expect((await fetch(`${url}/api/conversations`, { headers: { cookie: session } })).status).toBe(200);
    expect(
      (await fetch(`${url}/api/conversations`, { headers: { cookie: "cib_session=forged" } })).status,
    ).toBe(401);
  });

  it("refuses a change without the custom header or from another origin", async () => {
    const { client } = harness;
    const json = { "content-type": "application/json" };
    const noHeader = await fetch(`${client.url}/api/conversations`, {
      method: "POST",
      headers: client.headers(json),
      body: "{}",
    });
    expect(noHeader.status).toBe(403);
    expect(await noHeader.json()).toEqual({
      error: "A request that changes something must carry the x-cib-request: 1 header.",
    });
    const foreign = await client.fetch("/api/conversations", {
      method: "POST",
      headers: { ...json, origin: "http://evil.example" },
      body: "{}",
    });
    expect(foreign.status).toBe(403);
    const crossSite = await client.fetch("/api/conversations", {
      method: "POST",
      headers: { ...json, "sec-fetch-site": "cross-site" },
      body: "{}",
    });
    expect(crossSite.status).toBe(403);
    const own = await client.fetch("/api/conversations", {
      method: "POST",
      headers: { ...json, origin: client.url, "sec-fetch-site": "same-origin" },
      body: "{}",
    });
    expect(own.status).toBe(201);
  });

  it("says which setting to change when its port is taken", async () => {
    const taken = Number(new URL(harness.client.url).port);
    const second = new WebAdapter({
      config: { host: "127.0.0.1", port: taken, token: null },
      dataDir: await mkdtemp(path.join(tmpdir(), "cib-web-")),
      maxAttachmentBytes: 1024,
      modelConfigured: true,
      logger: silentLogger(),
    });
    await expect(second.start(harness.bot.bot)).rejects.toThrow(
      `The web chat cannot listen on 127.0.0.1:${taken}: the address is in use. Set WEB_PORT`,
    );
  });

  it("answers only to a loopback Host name, so a rebound DNS name cannot reach it", async () => {
    const { port } = new URL(harness.client.url);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          { host: "127.0.0.1", port, path: "/api/info", headers: { host, authorization: `Bearer ${TOKEN}` } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on("error", reject);
        request.end();
      });
    expect(await status(`evil.example:${port}`)).toBe(403);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
  });
});

describe("web chat output", () => {
  let harness: WebHarness;
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  sandbox.script("print('<script>alert(2)</script>')", () => ({ stdout: "<script>alert(2)</script>\n" }));
  sandbox.script("make_html()", () => ({
    files: [
      { path: "figure.html", data: "<html><body><script>document.title='plot'</script></body></html>" },
    ],
  }));

  beforeAll(async () => {
    harness = await createWebHarness({ sandbox });
  });
  afterAll(async () => harness?.close());

  async function ask(text: string, attachments: Parameters<WebHarness["driver"]["startThread"]>[1] = []) {
    const sent = await harness.driver.startThread(text, attachments);
    const status = await harness.driver.waitForReply(sent);
    const view = await harness.client.json<{ posts: PostView[] }>(`/api/conversations/${sent.thread}`);
    return { sent, status, posts: view.posts, replies: view.posts.filter((post) => post.role === "bot") };
  }

  it("serves the page under a strict Content-Security-Policy, with no inline script or style", async () => {
    const response = await fetch(`${harness.client.url}/`);
    const csp = response.headers.get("content-security-policy") ?? "";
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain("unsafe");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    expect(html).toContain('data-testid="message-input"');
    // Every script is a file of the page's own; no element carries a style or an event handler.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/app.js">']);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    const publicDir = path.resolve(import.meta.dirname, "../../adapters/web/public");
    for (const file of ["app.js", "posts.js", "composer.js", "files-panel.js", "sidebar.js"]) {
      const source = await readFile(path.join(publicDir, file), "utf8");
      // The one innerHTML is the server's rendered Markdown; nothing else is parsed as HTML.
      expect(source.match(/innerHTML|insertAdjacentHTML|outerHTML|document\.write/g) ?? [], file).toEqual(
        file === "posts.js" ? ["innerHTML"] : [],
      );
    }
  });

  it("shows a model's <script> as text", async () => {
    harness.bot.fake.enqueue({ kind: "reply", content: "Look: <script>alert(1)</script> and **bold**." });
    const { status, replies } = await ask("say something dangerous");
    expect(status).toBe("done");
    const html = replies.map((post) => post.html).join("\n");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("<strong>bold</strong>");
  });

  it("shows Python's <script> output as text, in a collapsible block", async () => {
    const { status, replies } = await ask("```python\nprint('<script>alert(2)</script>')\n```");
    expect(status).toBe("done");
    const html = replies.map((post) => post.html).join("\n");
    expect(html).toContain('<details class="output" data-testid="run-output" open>');
    expect(html).toContain("&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(html).not.toMatch(/<script/i);
    // The code itself is highlighted on the server, with classes only.
    expect(html).toContain('<span class="hljs-built_in">print</span>');
  });

  it("serves HTML that Python made, and HTML uploaded, only inside a sandbox", async () => {
    const made = await ask("```python\nmake_html()\n```");
    const file = made.replies.flatMap((post) => post.attachments).find((a) => a.name === "figure.html");
    expect(file?.kind).toBe("html");
    const uploaded = await ask("", [
      { name: "plot.html", data: Buffer.from("<p>hi</p>"), mimeType: "text/html" },
    ]);
    const upload = uploaded.posts[0]?.attachments[0];
    expect(upload?.kind).toBe("html");
    for (const url of [file?.url ?? "", upload?.url ?? ""]) {
      const response = await fetch(`${harness.client.url}${url}`);
      expect(response.status).toBe(200);
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy.startsWith("sandbox allow-scripts;")).toBe(true);
      // Scripts run, but nothing is fetched or sent: what the sandbox saw stays off the network.
      expect(policy).toContain("connect-src 'none'");
      expect(policy).toContain("default-src 'none'");
      expect(response.headers.get("content-type")).toBe("text/html");
    }
  });

  it("tells the user about an upload over the cap, and the conversation goes on", async () => {
    harness.bot.fake.enqueue({ kind: "reply", content: "I could not read it." });
    const big = { name: "huge.csv", data: Buffer.alloc(2 * 1024 * 1024, 97), mimeType: "text/csv" };
    const first = await ask("analyse this", [big]);
    expect(first.status).toBe("done");
    const text = first.replies.map((post) => visibleText(post.html)).join("\n");
    expect(text).toContain("I could not use huge.csv: it is 2.0 MB, over the 1.0 MB limit for attachments.");
    // Nothing of it was kept, and the next message is answered as usual.
    expect(first.posts[0]?.attachments).toEqual([]);
    harness.bot.fake.enqueue({ kind: "reply", content: "Still here." });
    const next = await harness.driver.reply(first.sent.thread, "are you there?");
    expect(await harness.driver.waitForReply(next)).toBe("done");
    expect(harness.driver.view(first.sent.thread).texts.join("\n")).toContain("Still here.");
  });
});
