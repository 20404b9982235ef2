import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadSlackFile, mayReceiveToken } from "./slack-files.ts";

let server: Server;
let base = "";
const seenAuth: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? "");
    if (req.url === "/big-declared") {
      res.writeHead(200, { "content-type": "text/csv", "content-length": String(5 * 1024 * 1024) });
      res.end();
    } else if (req.url === "/big-streamed") {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(Buffer.alloc(3 * 1024 * 1024, 97));
    } else if (req.url === "/login") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!DOCTYPE html><html>Sign in to Slack</html>");
    } else if (req.url === "/slow") {
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("a,b\n"); // and then nothing
    } else {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end("a,b\n1,2\n");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const options = () => ({
  token: "xoxb-secret",
  apiUrl: `${base}/api/`,
  maxBytes: 1024 * 1024,
  expectedMime: "text/csv",
});

describe("downloadSlackFile", () => {
  it("downloads with the bot token", async () => {
    expect((await downloadSlackFile(`${base}/ok.csv`, options())).toString()).toBe("a,b\n1,2\n");
    expect(seenAuth.at(-1)).toBe("Bearer xoxb-secret");
  });

  it("refuses files over the limit, by header and while reading", async () => {
    await expect(downloadSlackFile(`${base}/big-declared`, options())).rejects.toThrow(
      /larger than the 1 MB limit/,
    );
    await expect(downloadSlackFile(`${base}/big-streamed`, options())).rejects.toThrow(
      /larger than the 1 MB limit/,
    );
  });

  it("calls a sign-in page what it is", async () => {
    await expect(downloadSlackFile(`${base}/login`, options())).rejects.toThrow(
      /sign-in page instead of the file/,
    );
  });

  it("gives up on a download that stalls", async () => {
    await expect(downloadSlackFile(`${base}/slow`, { ...options(), timeoutMs: 300 })).rejects.toThrow();
  });

  it("never sends the token anywhere but Slack", async () => {
    const before = seenAuth.length;
    await expect(
      downloadSlackFile("https://evil.example.com/file.csv", {
        ...options(),
        apiUrl: "https://slack.com/api/",
      }),
    ).rejects.toThrow(/does not point at Slack/);
    expect(seenAuth.length).toBe(before);
    expect(mayReceiveToken("https://files.slack.com/files-pri/T1-F1/x.csv", "https://slack.com/api/")).toBe(
      true,
    );
    expect(mayReceiveToken("https://files.slack.com.evil.io/x", "https://slack.com/api/")).toBe(false);
    expect(mayReceiveToken("http://files.slack.com/x", "https://slack.com/api/")).toBe(false);
    expect(mayReceiveToken("not a url", "https://slack.com/api/")).toBe(false);
  });
});
