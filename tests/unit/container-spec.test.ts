import { describe, expect, it } from "vitest";
import { containerSpec } from "../../src/sandbox/container-spec.ts";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.ts";

describe("containerSpec", () => {
  const spec = containerSpec({
    image: "img:tag",
    name: "cib-test-abc",
    scope: "bot",
    sessionKey: "slack:T1:C1:123.456",
    limits: DEFAULT_LIMITS,
    createdAt: new Date("2026-01-01T00:00:00Z"),
  });

  it("isolates the container", () => {
    expect(spec.NetworkDisabled).toBe(true);
    expect(spec.User).toBe("1000:1000");
    expect(spec.Env).toEqual([]);
    expect(spec.HostConfig).toMatchObject({
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Init: true,
      PidsLimit: 256,
      NanoCpus: 1e9,
      LogConfig: { Type: "none" },
    });
  });

  it("sizes RAM for Python plus the tmpfs mounts, with no swap", () => {
    const mib = 1024 * 1024;
    const expected = (1024 + 1024 + 256 + 64) * mib;
    expect(spec.HostConfig?.Memory).toBe(expected);
    expect(spec.HostConfig?.MemorySwap).toBe(expected);
    expect(spec.HostConfig?.Tmpfs?.["/mnt/data"]).toContain("size=1024m");
    expect(spec.HostConfig?.Tmpfs?.["/tmp"]).toContain("size=256m");
  });

  it("labels the container with its session", () => {
    expect(spec.Labels).toMatchObject({
      "code-interpreter-bot": "1",
      "code-interpreter-bot.scope": "bot",
      "code-interpreter-bot.session": "slack:T1:C1:123.456",
    });
  });
});
