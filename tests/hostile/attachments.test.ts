/**
 * Hostile attachments, through the whole bot on the scripted sandbox: each is told in the
 * thread in words the person can act on, the message's other attachments still arrive, and
 * the session (its files and variables) works afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationKeyString } from "../../src/bot/incoming-message.ts";
import type { ReplyEvent } from "../../src/present/reply-events.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { type BotHarness, createBotHarness, ofType } from "../helpers/bot-harness.ts";
import { TEST_LIMITS } from "../helpers/sandbox.ts";
import { pdfLike, pngBomb, realPng, truncated, workbookLike, zipBomb } from "./hostile-files.ts";

const ADVICE =
  "Send a smaller file (compressed, or only the part you need), or ask an admin to raise MAX_ATTACHMENT_MB";

describe("hostile attachments", () => {
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  let h: BotHarness;

  beforeAll(async () => {
    sandbox.script("x = 41", ({ variables }) => {
      variables.set("x", 41);
      return {};
    });
    sandbox.script("print(x + 1)", ({ variables, print }) => {
      print(`${Number(variables.get("x")) + 1}\n`);
      return {};
    });
    h = await createBotHarness({ MAX_ATTACHMENT_MB: "1" }, false, { sandbox });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const notices = (events: ReplyEvent[]) => ofType(events, "notice").map((e) => e.text);

  async function filesIn(thread: string): Promise<string[]> {
    const key = conversationKeyString({ platform: "memory", workspace: "local", channel: "general", thread });
    return (await (await sandbox.acquire(key)).listFiles()).map((f) => f.path).sort();
  }

  /** The thread's variable from before the hostile message is still there, and code still runs. */
  async function expectSessionWorks(thread: string): Promise<void> {
    const events = await h.adapter.send({ text: "```python\nprint(x + 1)\n```", thread });
    expect(ofType(events, "code-result")[0]?.run.stdout).toBe("42\n");
  }

  async function startSession(thread: string): Promise<void> {
    await h.adapter.send({ text: "```python\nx = 41\n```", thread });
  }

  it("refuses a file over the size cap, declared or found on arrival, and keeps the rest", async () => {
    await startSession("size");
    const events = await h.adapter.send({
      text: "",
      thread: "size",
      attachments: [
        { name: "huge.bin", data: Buffer.alloc(2 * 1024 * 1024) },
        { name: "liar.bin", data: Buffer.alloc(2 * 1024 * 1024), declaredSize: 10 },
        { name: "unsized.bin", data: Buffer.alloc(2 * 1024 * 1024), declaredSize: null },
        { name: "ok.txt", data: Buffer.from("fine") },
      ],
    });
    expect(notices(events)).toEqual([
      `I could not use huge.bin: it is 2.0 MB, over the 1.0 MB limit for attachments. ${ADVICE}.`,
      `I could not use liar.bin: it was announced as 10 bytes, but the download ran past the 1.0 MB limit for attachments, so it was stopped and nothing was kept. ${ADVICE}.`,
      `I could not use unsized.bin: its size was not given in advance, but the download ran past the 1.0 MB limit for attachments, so it was stopped and nothing was kept. ${ADVICE}.`,
    ]);
    expect(ofType(events, "text")[0]?.text).toBe(
      "Got it: /mnt/data/ok.txt. What would you like me to do with it?",
    );
    expect(await filesIn("size")).toEqual(["ok.txt"]);
    await expectSessionWorks("size");
  });

  it("renames unsafe names to safe ones inside /mnt/data and says so", async () => {
    await startSession("names");
    const long = `${"é".repeat(200)}.csv`;
    const events = await h.adapter.send({
      text: "",
      thread: "names",
      attachments: [
        { name: "../../etc/passwd", data: Buffer.from("root:x:0:0\n") },
        { name: "/abs/report.csv", data: Buffer.from("a,b\n1,2\n") },
        { name: "a\u0000b.csv", data: Buffer.from("a\n1\n") },
        { name: "invoice\u202Efdp.exe", data: Buffer.from("MZ") },
        { name: long, data: Buffer.from("a\n1\n") },
      ],
    });
    const folders =
      "folder parts (such as ../ or an absolute path) were dropped, since attachments go only into /mnt/data";
    const kept = `${"é".repeat(98)}.csv`;
    expect(notices(events)).toEqual([
      `The name of "../../etc/passwd" was not safe: ${folders}. It is in /mnt/data as passwd.`,
      `The name of "/abs/report.csv" was not safe: ${folders}. It is in /mnt/data as report.csv.`,
      `The name of "a[U+0000]b.csv" was not safe: control characters (such as NUL or a line break) were removed. It is in /mnt/data as ab.csv.`,
      `The name of "invoice[U+202E]fdp.exe" was not safe: text-direction characters (such as U+202E), which can disguise a file's real type, were replaced. It is in /mnt/data as invoice_fdp.exe.`,
      `The name of "${"é".repeat(80)}…" was not safe: it is over 255 bytes, the longest name a file system takes, so it was shortened. It is in /mnt/data as ${kept}.`,
    ]);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(255);
    expect(await filesIn("names")).toEqual(
      ["ab.csv", "invoice_fdp.exe", "passwd", "report.csv", kept].sort(),
    );
    await expectSessionWorks("names");
  });

  it("keeps damaged files and bombs for code to try, saying what looks wrong", async () => {
    await startSession("damaged");
    const bomb = zipBomb(4, 64);
    const events = await h.adapter.send({
      text: "",
      thread: "damaged",
      attachments: [
        { name: "bomb.png", data: pngBomb(), mimeType: "image/png" },
        { name: "cut.png", data: truncated(await realPng(640, 480)), mimeType: "image/png" },
        { name: "cut.xlsx", data: truncated(workbookLike()) },
        { name: "cut.pdf", data: truncated(pdfLike()), mimeType: "application/pdf" },
        { name: "bomb.zip", data: bomb, mimeType: "application/zip" },
        { name: "fine.pdf", data: pdfLike(), mimeType: "application/pdf" },
        { name: "fine.xlsx", data: workbookLike() },
        { name: "fine.png", data: await realPng(), mimeType: "image/png" },
      ],
    });
    const anyway = (name: string) => `It is in /mnt/data as ${name} all the same, for code to try.`;
    const ratio = Math.round((256 * 1024 * 1024) / bomb.length).toLocaleString("en-US");
    expect(notices(events)).toEqual([
      `bomb.png: it declares 100000×100000 pixels (10,000,000,000), more than the 50,000,000 the bot decodes: it may be a decompression bomb, and opening it will likely run out of memory. ${anyway("bomb.png")}`,
      `cut.png: it looks damaged: the PNG stops before its end marker, so it was probably cut off. ${anyway("cut.png")}`,
      `cut.xlsx: it looks damaged: its zip directory (at the end of the file) is missing, so it was probably cut off. ${anyway("cut.xlsx")}`,
      `cut.pdf: it looks damaged: the PDF has no end marker (%%EOF), so it was probably cut off. ${anyway("cut.pdf")}`,
      `bomb.zip: it unpacks to 256.0 MB (${ratio} times its size), more than /mnt/data holds (64.0 MB): unpacking all of it will stop with "No space left on device", which harms nothing else. Unpack only the parts you need. ${anyway("bomb.zip")}`,
    ]);
    expect(await filesIn("damaged")).toEqual(
      ["bomb.png", "bomb.zip", "cut.pdf", "cut.png", "cut.xlsx", "fine.pdf", "fine.png", "fine.xlsx"].sort(),
    );
    await expectSessionWorks("damaged");
  });

  it("refuses an HTML page posing as a CSV, naming what it looks like", async () => {
    await startSession("html");
    const events = await h.adapter.send({
      text: "",
      thread: "html",
      attachments: [
        {
          name: "sales.csv",
          data: Buffer.from(
            "\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in</body></html>",
          ),
          mimeType: "text/csv",
        },
        { name: "real.csv", data: Buffer.from("region,amount\nn,10\n"), mimeType: "text/csv" },
      ],
    });
    expect(notices(events)).toEqual([
      "I could not use sales.csv: the download returned a web page instead of the file: it looks like HTML, not CSV (often a sign-in or error page, or a page saved under the wrong name). Export or download it again as CSV and attach that, or check that the bot may read your files.",
    ]);
    expect(await filesIn("html")).toEqual(["real.csv"]);
    await expectSessionWorks("html");
  });
});
