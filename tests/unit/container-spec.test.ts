import { describe, expect, it } from "vitest";
import { containerSpec } from "../../src/sandbox/container-spec.ts";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.ts";
import {
  DEFAULT_UID_RANGE,
  isSandboxUid,
  pickSandboxUid,
  REMAPPED_UID_RANGE,
  uidRangeFor,
} from "../../src/sandbox/sandbox-uid.ts";

describe("containerSpec", () => {
  const spec = containerSpec({
    image: "img:tag",
    name: "cib-test-abc",
    scope: "bot",
    sessionKey: "slack:T1:C1:123.456",
    limits: DEFAULT_LIMITS,
    createdAt: new Date("2026-01-01T00:00:00Z"),
    sandboxUid: 1_900_000_042,
  });

  it("isolates the container", () => {
    expect(spec.NetworkDisabled).toBe(true);
    expect(spec.Env).toEqual([]);
    expect(spec.HostConfig).toMatchObject({
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      Init: true,
      PidsLimit: 256,
      NanoCpus: 1e9,
      LogConfig: { Type: "none" },
    });
  });

  it("starts the supervisor as root with only the capabilities it needs to run code as the container's own uid", () => {
    expect(spec.User).toBe("0:0");
    expect(spec.HostConfig?.CapAdd).toEqual(["SETUID", "SETGID", "SETPCAP", "KILL"]);
    expect(spec.Cmd).toEqual([
      "python3",
      "-I",
      "-u",
      "/opt/sandbox/supervisor.py",
      "--sandbox-uid",
      "1900000042",
    ]);
    expect(spec.HostConfig?.Tmpfs?.["/mnt/data"]).toContain("uid=1900000042,gid=1900000042");
    expect(spec.Labels?.["code-interpreter-bot.uid"]).toBe("1900000042");
  });

  it("keeps no-new-privileges and loads our seccomp profile", () => {
    const [noNewPrivileges, seccomp] = spec.HostConfig?.SecurityOpt ?? [];
    expect(noNewPrivileges).toBe("no-new-privileges");
    const profile = JSON.parse(seccomp?.replace(/^seccomp=/, "") ?? "{}") as { defaultAction?: string };
    expect(profile.defaultAction).toBe("SCMP_ACT_ERRNO");
  });

  it("bounds the files each tmpfs can hold, so an inode flood costs bounded kernel memory", () => {
    expect(spec.HostConfig?.Tmpfs?.["/mnt/data"]).toContain("nr_inodes=65536");
    expect(spec.HostConfig?.Tmpfs?.["/tmp"]).toContain("nr_inodes=16384");
    expect(spec.HostConfig?.Tmpfs?.["/dev/shm"]).toContain("nr_inodes=4096");
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

describe("sandbox uids", () => {
  it("picks a uid in the range that no container has", () => {
    const first = DEFAULT_UID_RANGE.first;
    const draws = [5, 5, 7];
    const uid = pickSandboxUid(new Set([first + 5]), DEFAULT_UID_RANGE, () => draws.shift() ?? 0);
    expect(uid).toBe(first + 7);
    expect(isSandboxUid(pickSandboxUid(new Set()))).toBe(true);
    expect(isSandboxUid(1000)).toBe(false);
  });

  it("stays below 65536 on engines that remap users (rootless Docker, userns-remap)", () => {
    expect(uidRangeFor(["name=seccomp,profile=default"])).toBe(DEFAULT_UID_RANGE);
    expect(uidRangeFor(["name=seccomp,profile=default", "name=rootless"])).toBe(REMAPPED_UID_RANGE);
    expect(uidRangeFor(["name=userns"])).toBe(REMAPPED_UID_RANGE);
    const uid = pickSandboxUid(new Set(), REMAPPED_UID_RANGE);
    expect(uid).toBeGreaterThanOrEqual(10_000);
    expect(uid).toBeLessThan(65_536);
  });
});
