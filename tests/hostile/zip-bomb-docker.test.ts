/**
 * The bot never unpacks a zip itself: code in the sandbox does, and /mnt/data's size limit is
 * the guard. Proved here on the real Docker sandbox: unpacking a zip bomb there ends in a
 * clear "/mnt/data is full" notice, and the session's variables and other files survive.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotHarness, createBotHarness, ofType } from "../helpers/bot-harness.ts";
import { zipBomb } from "./hostile-files.ts";

describe("a zip bomb unpacked in the Docker sandbox", () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await createBotHarness({}, false);
  }, 900_000);
  afterAll(async () => {
    await h?.close();
  });

  it("fills /mnt/data, says so plainly, and leaves the session working", async () => {
    const thread = "zip-bomb";
    await h.adapter.send({
      text: "```python\nx = 41\nopen('/mnt/data/keep.txt', 'w').write('kept')\n```",
      thread,
    });
    // 4 × 64 MB of zeros in a few hundred KB: four times what the test sandbox's /mnt/data holds.
    const unpacked = await h.adapter.send({
      text: "```python\nimport zipfile\nzipfile.ZipFile('/mnt/data/bomb.zip').extractall('/mnt/data/out')\n```",
      thread,
      attachments: [{ name: "bomb.zip", data: zipBomb(4, 64), mimeType: "application/zip" }],
    });
    const notices = ofType(unpacked, "notice").map((e) => e.text);
    expect(notices[0]).toMatch(
      /^bomb\.zip: it unpacks to 256\.0 MB \(.+\), more than \/mnt\/data holds \(64\.0 MB\)/,
    );
    const run = ofType(unpacked, "code-result")[0]?.run;
    expect(run?.status).toBe("error");
    expect(run?.error?.value).toMatch(/No space left on device/);
    expect(notices).toContain(
      '/mnt/data is full (it holds at most 64.0 MB), so writing more fails with "No space left on device". Delete files you no longer need; the session and its other files are fine.',
    );

    const after = await h.adapter.send({
      text: "```python\nimport shutil\nshutil.rmtree('/mnt/data/out')\nprint(x + 1, open('/mnt/data/keep.txt').read())\n```",
      thread,
    });
    expect(ofType(after, "code-result")[0]?.run.stdout).toBe("42 kept\n");
  }, 120_000);
});
