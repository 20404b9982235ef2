import { describe, expect, it } from "vitest";
import { FatalError } from "../../src/errors.ts";
import { containerSpec } from "../../src/sandbox/container-spec.ts";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.ts";
import { checkRuntimeKnown, type OciRuntime } from "../../src/sandbox/oci-runtime.ts";

function spec(runtime?: OciRuntime) {
  return containerSpec({
    image: "img:tag",
    name: "cib-test-abc",
    scope: "bot",
    sessionKey: "s",
    limits: DEFAULT_LIMITS,
    createdAt: new Date("2026-01-01T00:00:00Z"),
    sandboxUid: 1_900_000_042,
    ...(runtime ? { runtime } : {}),
  });
}

describe("the sandbox's OCI runtime", () => {
  it("is runc unless runsc is asked for", () => {
    expect(spec().HostConfig?.Runtime).toBe("runc");
    expect(spec("runsc").HostConfig?.Runtime).toBe("runsc");
  });

  it("keeps every other part of the posture under runsc", () => {
    const { Runtime: _runc, PidsLimit: _runcPids, Ulimits: runcUlimits, ...runc } = spec().HostConfig ?? {};
    const {
      Runtime: _runsc,
      PidsLimit: _runscPids,
      Ulimits: runscUlimits,
      ...runsc
    } = spec("runsc").HostConfig ?? {};
    expect(runsc).toEqual(runc);
    expect(runscUlimits).toEqual([...(runcUlimits ?? []), expect.objectContaining({ Name: "nproc" })]);
  });

  it("limits user code's processes under runsc with RLIMIT_NPROC, which gVisor enforces inside", () => {
    expect(spec("runsc").HostConfig?.Ulimits).toContainEqual({
      Name: "nproc",
      Soft: DEFAULT_LIMITS.pids,
      Hard: DEFAULT_LIMITS.pids,
    });
    expect(spec().HostConfig?.Ulimits?.map((limit) => limit.Name)).not.toContain("nproc");
  });

  it("leaves room under runsc for gVisor's own host processes in the pids limit", () => {
    expect(spec().HostConfig?.PidsLimit).toBe(DEFAULT_LIMITS.pids);
    expect(spec("runsc").HostConfig?.PidsLimit).toBe(DEFAULT_LIMITS.pids * 24 + 512);
  });

  it("needs nothing from the engine for runc", () => {
    expect(() => checkRuntimeKnown("runc", undefined)).not.toThrow();
  });

  it("accepts runsc when the engine lists it", () => {
    expect(() => checkRuntimeKnown("runsc", { runc: {}, runsc: { path: "/usr/bin/runsc" } })).not.toThrow();
  });

  it("stops at start-up, saying what to run, when the engine does not know runsc", () => {
    let caught: unknown;
    try {
      checkRuntimeKnown("runsc", { runc: { path: "runc" } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FatalError);
    expect((caught as FatalError).code).toBe("sandbox_runtime_unknown");
    expect((caught as Error).message).toMatch(/it knows: runc\)/);
    expect((caught as Error).message).toMatch(/scripts\/ensure-docker\.sh --runsc/);
  });
});
