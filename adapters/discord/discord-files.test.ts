import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadDiscordFile } from "./discord-files.ts";

let server: Server;
let base = "";
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.headers);
    if (request.url === "/sales.csv") {
      response.writeHead(200, { "content-type": "text/csv" });
      response.end("region,sales\nnorth,1\n");
    } else if (request.url === "/endless") {
      // No Content-Length: only counting while reading can stop it.
      response.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024);
      const push = () => {
        while (response.write(chunk)) {
          if (response.writableLength > 8 * 1024 * 1024) break;
        }
      };
      response.on("drain", push);
      push();
    } else if (request.url === "/expired") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end("<!doctype html><title>This content is no longer available</title>");
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("downloadDiscordFile", () => {
  it("downloads the attachment without sending any credentials", async () => {
    const data = await downloadDiscordFile(`${base}/sales.csv`, { maxBytes: 1024, expectedMime: "text/csv" });
    expect(data.toString()).toBe("region,sales\nnorth,1\n");
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });

  it("stops reading at the size limit, whatever the server claims", async () => {
    await expect(
      downloadDiscordFile(`${base}/endless`, {
        maxBytes: 1024 * 1024,
        expectedMime: "application/octet-stream",
      }),
    ).rejects.toThrow("it is larger than the 1 MB limit");
  });

  it("refuses a web page served in place of the file, and links that are not http(s)", async () => {
    await expect(
      downloadDiscordFile(`${base}/expired`, { maxBytes: 1024, expectedMime: "text/csv" }),
    ).rejects.toThrow(/a web page instead of the file/);
    await expect(
      downloadDiscordFile("file:///etc/passwd", { maxBytes: 1024, expectedMime: "text/plain" }),
    ).rejects.toThrow(/not a web address/);
    await expect(
      downloadDiscordFile(`${base}/missing`, { maxBytes: 1024, expectedMime: "text/csv" }),
    ).rejects.toThrow("Discord answered 404 when asked for the file");
  });
});
