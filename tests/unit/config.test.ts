import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("loadConfig", () => {
  it("has working defaults with an empty environment", () => {
    const config = loadConfig({}, "/srv/bot");
    expect(config.sandbox.limits.memoryMb).toBe(1024);
    expect(config.sandbox.limits.executionTimeoutMs).toBe(120_000);
    expect(config.dataDir).toBe("/srv/bot/.data");
    expect(config.docker).toEqual({ socketPath: "/var/run/docker.sock" });
  });

  it("reports every problem at once", () => {
    let caught: unknown;
    try {
      loadConfig({
        SANDBOX_MEMORY_MB: "lots",
        SANDBOX_CPUS: "-1",
        LOG_LEVEL: "chatty",
        DOCKER_HOST: "ftp://x",
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/SANDBOX_MEMORY_MB=lots/);
    expect(problems.join("\n")).toMatch(/LOG_LEVEL=chatty must be one of/);
  });

  it("runs sandboxes under runc unless SANDBOX_RUNTIME picks gVisor", () => {
    expect(loadConfig({}).sandbox.runtime).toBe("runc");
    expect(loadConfig({ SANDBOX_RUNTIME: "runsc" }).sandbox.runtime).toBe("runsc");
    expect(() => loadConfig({ SANDBOX_RUNTIME: "kata" })).toThrow(
      /SANDBOX_RUNTIME=kata must be one of: runc, runsc/,
    );
  });

  it("reads DOCKER_HOST forms", () => {
    expect(loadConfig({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" }).docker).toEqual({
      socketPath: "/run/user/1000/docker.sock",
    });
    expect(loadConfig({ DOCKER_HOST: "tcp://127.0.0.1:2375" }).docker).toEqual({
      host: "127.0.0.1",
      port: 2375,
      protocol: "http",
    });
  });
});
