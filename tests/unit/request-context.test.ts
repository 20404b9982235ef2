import { describe, expect, it } from "vitest";
import { currentRequestId, inRequest, newRequestId, withRequestId } from "../../src/request-context.ts";
import { collectingLogger } from "../helpers/collecting-logger.ts";

describe("request ids", () => {
  it("are short and distinct", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^r-[0-9a-f]{10}$/);
  });

  it("tag every log line written inside a request, across awaits and timers, and none outside", async () => {
    const { logger, lines } = collectingLogger();
    const child = logger.child({ component: "sandbox" });
    logger.info("before");
    await Promise.all([
      withRequestId("r-aaaaaaaaaa", async () => {
        logger.info("a starts");
        await new Promise((resolve) => setImmediate(resolve));
        child.info("a in the sandbox");
      }),
      withRequestId("r-bbbbbbbbbb", async () => {
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            child.info("b in a timer");
            resolve();
          }, 0),
        );
      }),
    ]);
    logger.info("after");
    const byMessage = new Map(lines.map((line) => [line.msg, line.request]));
    expect(byMessage.get("before")).toBeUndefined();
    expect(byMessage.get("a starts")).toBe("r-aaaaaaaaaa");
    expect(byMessage.get("a in the sandbox")).toBe("r-aaaaaaaaaa");
    expect(byMessage.get("b in a timer")).toBe("r-bbbbbbbbbb");
    expect(byMessage.get("after")).toBeUndefined();
  });

  it("keep the platform event's id when the core joins the request, and make one when there is none", () => {
    withRequestId("r-0123456789", () => {
      inRequest(() => expect(currentRequestId()).toBe("r-0123456789"));
    });
    inRequest(() => expect(currentRequestId()).toMatch(/^r-[0-9a-f]{10}$/));
    expect(currentRequestId()).toBeUndefined();
  });
});
