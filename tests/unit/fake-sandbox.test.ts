import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { describeFiles } from "../../src/bot/file-previews.ts";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.ts";
import { RequestFailedError } from "../../src/sandbox/supervisor-client.ts";
import type { OutputEvent } from "../../src/sandbox/types.ts";
import { FakeSandbox, pythonError, renderFigure } from "../fakes/sandbox/fake-sandbox.ts";

const SALES = "region,sales\nnorth,120\nsouth,80\nnorth,30\n";

describe("FakeSandbox files", () => {
  it("round-trips files in /mnt/data with the supervisor's sizes, order and MIME types", async () => {
    const session = await new FakeSandbox().acquire("c1");
    await session.putFile("sales.csv", Buffer.from(SALES));
    await session.putFile("charts/a.png", await renderFigure());
    await session.putFile("notes", Buffer.from("x"));
    expect((await session.getFile("sales.csv")).toString()).toBe(SALES);
    expect((await session.listFiles()).map(({ path, size, mime }) => ({ path, size, mime }))).toEqual([
      { path: "charts/a.png", size: expect.any(Number), mime: "image/png" },
      { path: "notes", size: 1, mime: "application/octet-stream" },
      { path: "sales.csv", size: SALES.length, mime: "text/csv" },
    ]);
  });

  it("refuses what the supervisor refuses, with the same errors", async () => {
    const session = await new FakeSandbox().acquire("c1");
    await session.putFile("sales.csv", Buffer.from(SALES));
    const tooLarge = await session.getFile("sales.csv", 10).catch((error: unknown) => error);
    expect(tooLarge).toBeInstanceOf(RequestFailedError);
    expect(tooLarge).toMatchObject({
      code: "too_large",
      message: `file is ${SALES.length} bytes, over the 10 byte limit`,
    });
    await expect(session.getFile("missing.csv")).rejects.toThrow("no such file: missing.csv");
    await expect(session.putFile("../escape", Buffer.from("x"))).rejects.toThrow(
      "file names must stay inside /mnt/data",
    );
    await expect(session.putFile("/etc/passwd", Buffer.from("x"))).rejects.toThrow(
      "file names must stay inside /mnt/data",
    );
    await expect(session.putFile("sales.csv/inner", Buffer.from("x"))).rejects.toThrow("is not a directory");
  });

  it("keeps each conversation's files apart, and close ends them", async () => {
    const sandbox = new FakeSandbox();
    const one = await sandbox.acquire("c1");
    await one.putFile("a.txt", Buffer.from("a"));
    expect(await (await sandbox.acquire("c2")).listFiles()).toEqual([]);
    expect(await sandbox.close("c1")).toBe(true);
    expect(await sandbox.close("c1")).toBe(false);
    await expect(one.listFiles()).rejects.toThrow("closed");
    expect(await (await sandbox.acquire("c1")).listFiles()).toEqual([]);
  });

  it("keeps files and variables across shutdown, as the containers keep running", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("x = 1", ({ variables }) => {
      variables.set("x", 1);
      return {};
    });
    sandbox.script("x", ({ variables, code }) =>
      variables.has("x")
        ? { result: "1" }
        : { error: pythonError("NameError", "name 'x' is not defined", code) },
    );
    const before = await sandbox.acquire("c1");
    await before.putFile("a.txt", Buffer.from("a"));
    await before.execute("x = 1");
    await sandbox.shutdown();
    const after = await sandbox.acquire("c1");
    expect(after).not.toBe(before);
    expect((await after.listFiles()).map((f) => f.path)).toEqual(["a.txt"]);
    expect((await after.execute("x")).displays).toEqual([{ isResult: true, text: "1" }]);
  });
});

describe("FakeSandbox runs", () => {
  it("answers code nobody scripted with an error naming the gap, and records it", async () => {
    const sandbox = new FakeSandbox();
    const session = await sandbox.acquire("c1");
    const run = await session.execute("print(nope)");
    expect(run.status).toBe("error");
    expect(run.error?.name).toBe("NotScriptedError");
    expect(run.error?.value).toContain("no script for this code");
    expect(run.error?.traceback).toContain("----> 1 print(nope)");
    expect(sandbox.unscripted().map((r) => r.code)).toEqual(["print(nope)"]);
    expect(sandbox.executed("c1")).toEqual(["print(nope)"]);
  });

  it("lets the latest matching script answer, with RegExp groups and a record of its calls", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script(/^print\((\d+) \+ (\d+)\)$/, ({ match }) => ({
      stdout: `${Number(match?.[1]) + Number(match?.[2])}\n`,
    }));
    const override = sandbox.script("print(2 + 2)", () => ({ stdout: "5\n" }));
    const session = await sandbox.acquire("c1");
    expect((await session.execute("print(1 + 1)")).stdout).toBe("2\n");
    expect((await session.execute("print(2 + 2)")).stdout).toBe("5\n");
    override.remove();
    expect((await session.execute("print(2 + 2)")).stdout).toBe("4\n");
    expect(override.calls).toEqual(["print(2 + 2)"]);
    expect(sandbox.unscripted()).toEqual([]);
  });

  it("reports the files a run wrote, and only those", async () => {
    // One clock tick for the whole run: files changed in the same millisecond are listed by path.
    const sandbox = new FakeSandbox({ now: () => 1_000 });
    sandbox.script("save()", ({ files }) => {
      files.write("/mnt/data/streamed.txt", "early");
      return { files: [{ path: "out/result.csv", data: "a\n1\n" }] };
    });
    const session = await sandbox.acquire("c1");
    await session.putFile("input.csv", Buffer.from(SALES));
    const run = await session.execute("save()");
    expect(run.files.map(({ path, size, mime }) => ({ path, size, mime }))).toEqual([
      { path: "out/result.csv", size: 4, mime: "text/csv" },
      { path: "streamed.txt", size: 5, mime: "text/plain" },
    ]);
    expect((await session.getFile("out/result.csv")).toString()).toBe("a\n1\n");
  });

  it("returns figures as real PNGs, 800x500 unless asked otherwise", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("plot()", async () => ({
      images: [await renderFigure(), await renderFigure({ width: 300, height: 200, kind: "bar" })],
    }));
    sandbox.script("bad()", () => ({ images: [Buffer.from("not a png")] }));
    const session = await sandbox.acquire("c1");
    const run = await session.execute("plot()");
    expect(run.images).toHaveLength(2);
    expect(run.displays.map((d) => d.text)).toEqual(["<Figure size 800x500>", "<Figure size 300x200>"]);
    expect(await sharp(run.images[0]).metadata()).toMatchObject({ format: "png", width: 800, height: 500 });
    expect(await sharp(run.images[1]).metadata()).toMatchObject({ format: "png", width: 300, height: 200 });
    await expect(session.execute("bad()")).rejects.toThrow("PNG");
  });

  it("streams output while the code runs, in order", async () => {
    const sandbox = new FakeSandbox();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    sandbox.script("work()", async ({ print, display }) => {
      print("started\n");
      display({ isResult: false, text: "<progress>" });
      await released;
      return { stdout: "done\n", result: "42" };
    });
    const events: OutputEvent[] = [];
    const session = await sandbox.acquire("c1");
    const running = session.execute("work()", {
      onOutput: (event) => {
        events.push(event);
        if (event.type === "display" && event.display.text === "<progress>") release();
      },
    });
    const run = await running;
    expect(events).toEqual([
      { type: "stdout", text: "started\n" },
      { type: "display", display: { isResult: false, text: "<progress>" } },
      { type: "stdout", text: "done\n" },
      { type: "display", display: { isResult: true, text: "42" } },
    ]);
    expect(run).toMatchObject({ status: "ok", stdout: "started\ndone\n" });
  });

  it("cuts output at the limit and says so", async () => {
    const sandbox = new FakeSandbox({ limits: { outputLimitBytes: 10 } });
    sandbox.script("spam()", () => ({ stdout: "x".repeat(25) }));
    const run = await (await sandbox.acquire("c1")).execute("spam()");
    expect(run.stdout).toBe("x".repeat(10));
    expect(run.notices.join(" ")).toMatch(/Output was cut at 10 bytes: 15 bytes of stdout not shown/);
  });

  it("reports the scripted duration, or the measured one", async () => {
    let clock = 1_000;
    const sandbox = new FakeSandbox({ now: () => clock });
    sandbox.script("slow()", () => ({ durationMs: 1234 }));
    sandbox.script("tick()", () => {
      clock += 7;
      return {};
    });
    const session = await sandbox.acquire("c1");
    expect((await session.execute("slow()")).durationMs).toBe(1234);
    expect((await session.execute("tick()")).durationMs).toBe(7);
  });
});

describe("FakeSandbox interruptions", () => {
  const sleeper = (sandbox: FakeSandbox) =>
    sandbox.script("long()", async ({ print, sleep, variables }) => {
      variables.set("partial", true);
      print("step 1\n");
      await sleep(10_000);
      return { stdout: "never\n" };
    });

  it("turns an abort into a cancelled run that keeps what was printed and the variables", async () => {
    const sandbox = new FakeSandbox();
    sleeper(sandbox);
    const session = await sandbox.acquire("c1");
    const controller = new AbortController();
    const run = await session.execute("long()", {
      signal: controller.signal,
      onOutput: () => controller.abort(),
    });
    expect(run).toMatchObject({
      status: "cancelled",
      stdout: "step 1\n",
      error: { name: "KeyboardInterrupt" },
      // The status says it; a notice would say it twice.
      notices: [],
      kernelRestarted: false,
    });
    expect(sandbox.runs("c1")[0]?.execution?.status).toBe("cancelled");
  });

  it("does not start code whose run was cancelled before it began", async () => {
    const sandbox = new FakeSandbox();
    const handle = sleeper(sandbox);
    const run = await (await sandbox.acquire("c1")).execute("long()", { signal: AbortSignal.abort() });
    expect(run).toMatchObject({
      status: "cancelled",
      error: null,
      notices: ["The run was cancelled before it started; the code did not run."],
    });
    expect(handle.calls).toEqual([]);
  });

  it("stops code at its time limit", async () => {
    const sandbox = new FakeSandbox();
    sleeper(sandbox);
    const started = Date.now();
    const run = await (await sandbox.acquire("c1")).execute("long()", { timeoutMs: 600 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(run).toMatchObject({
      status: "timeout",
      stdout: "step 1\n",
      error: { name: "KeyboardInterrupt" },
    });
    expect(run.notices).toEqual(["The run was stopped after 1 s, its time limit."]);
  });

  it("replaces Python when code ignores the interrupt past the grace period", async () => {
    const sandbox = new FakeSandbox({ limits: { interruptGraceMs: 50 } });
    sandbox.script("stubborn()", async ({ variables }) => {
      variables.set("x", 1);
      // Code that never stops, interrupt or not: only the grace period ends it.
      await new Promise(() => undefined);
      return {};
    });
    sandbox.script("x", ({ variables, code }) =>
      variables.has("x")
        ? { result: "1" }
        : { error: pythonError("NameError", "name 'x' is not defined", code) },
    );
    const session = await sandbox.acquire("c1");
    const run = await session.execute("stubborn()", { timeoutMs: 20 });
    expect(run).toMatchObject({ status: "timeout", kernelRestarted: true, filesLost: false });
    expect(run.notices.join(" ")).toContain("did not stop within 0.05 s of being interrupted");
    expect((await session.execute("x")).error?.name).toBe("NameError");
  });

  it("empties variables on a scripted kernel restart, and files too when the container is lost", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("x = 1", ({ variables }) => {
      variables.set("x", 1);
      return {};
    });
    sandbox.script("oom()", () => ({ status: "oom" }));
    sandbox.script("lose()", () => ({ status: "crashed", filesLost: true }));
    const session = await sandbox.acquire("c1");
    await session.putFile("a.txt", Buffer.from("a"));
    await session.execute("x = 1");
    const oom = await session.execute("oom()");
    expect(oom).toMatchObject({ kernelRestarted: true, filesLost: false });
    expect(oom.notices[0]).toContain(`ran out of memory (the limit is ${DEFAULT_LIMITS.memoryMb} MB)`);
    expect((await session.listFiles()).map((f) => f.path)).toEqual(["a.txt"]);
    const lost = await session.execute("lose()");
    expect(lost).toMatchObject({ kernelRestarted: true, filesLost: true });
    expect(await session.listFiles()).toEqual([]);
  });

  it("passes on a responder's own failure as an infrastructure error", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("boom()", () => {
      throw new Error("the container vanished");
    });
    await expect((await sandbox.acquire("c1")).execute("boom()")).rejects.toThrow("the container vanished");
  });
});

describe("FakeSandbox reset", () => {
  it("clears variables, and files only when asked", async () => {
    const sandbox = new FakeSandbox();
    sandbox.script("x = 1", ({ variables }) => {
      variables.set("x", 1);
      return {};
    });
    sandbox.script("print(x)", ({ variables, code }) =>
      variables.has("x")
        ? { stdout: "1\n" }
        : { error: pythonError("NameError", "name 'x' is not defined", code) },
    );
    const session = await sandbox.acquire("c1");
    await session.putFile("a.txt", Buffer.from("a"));
    await session.execute("x = 1");
    expect((await session.execute("print(x)")).stdout).toBe("1\n");
    await session.reset(false);
    expect((await session.execute("print(x)")).error).toMatchObject({
      name: "NameError",
      value: "name 'x' is not defined",
    });
    expect((await session.listFiles()).map((f) => f.path)).toEqual(["a.txt"]);
    await session.reset(true);
    expect(await session.listFiles()).toEqual([]);
  });
});

describe("FakeSandbox table preview", () => {
  it("answers the core's preview script as pandas does for a CSV", async () => {
    const sandbox = new FakeSandbox();
    const session = await sandbox.acquire("c1");
    await session.putFile("sales.csv", Buffer.from(SALES));
    await session.putFile("book.xlsx", Buffer.from("PK"));
    const files = await describeFiles(session);
    // The Docker sandbox's answer for the same file, recorded.
    expect(files.find((f) => f.path === "sales.csv")?.preview).toBe(
      "3 rows x 2 columns: region, sales\nfirst rows:\n  region  sales\n0  north    120\n1  south     80\n2  north     30",
    );
    // The fake cannot read Excel; the core shows no preview then, as when pandas fails.
    expect(files.find((f) => f.path === "book.xlsx")?.preview).toBeUndefined();
    expect(sandbox.unscripted()).toEqual([]);
  });

  it("lays out floats, gaps and other separators as pandas does", async () => {
    const session = await new FakeSandbox().acquire("c1");
    await session.putFile("a.csv", Buffer.from("a,longname,x\n1,2.5,hello world\n22,3,\n"));
    await session.putFile("b.csv", Buffer.from("name;score\nann;1.25\nbob;10\n"));
    const previews = new Map((await describeFiles(session)).map((f) => [f.path, f.preview]));
    // Recorded from pandas 1.5 in the sandbox image.
    expect(previews.get("a.csv")).toBe(
      "2 rows x 3 columns: a, longname, x\nfirst rows:\n" +
        "    a  longname            x\n0   1       2.5  hello world\n1  22       3.0          NaN",
    );
    expect(previews.get("b.csv")).toBe(
      "2 rows x 2 columns: name, score\nfirst rows:\n  name  score\n0  ann   1.25\n1  bob  10.00",
    );
  });
});
