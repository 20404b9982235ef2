import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { describeDatabase } from "../../src/store/database-config.ts";
import { configProblems } from "../helpers/config-problems.ts";

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

  it("keeps state in SQLite unless DATABASE_URL names a PostgreSQL, and never repeats its password", () => {
    expect(loadConfig({}, "/srv/bot").postgres).toBeNull();
    expect(describeDatabase(loadConfig({}, "/srv/bot"))).toBe("SQLite at /srv/bot/.data/bot.sqlite");
    const url = "postgres://bot:hunter2@db.internal:5432/bot?sslmode=require";
    const config = loadConfig({ DATABASE_URL: url, DATABASE_MAX_CONNECTIONS: "4" });
    expect(config.postgres).toEqual({ url, maxConnections: 4 });
    expect(describeDatabase(config)).toBe("PostgreSQL at postgres://bot@db.internal:5432/bot");
    for (const wrong of ["mysql://bot:hunter2@db/bot", "bot:hunter2@db/bot"]) {
      const problems = configProblems({ DATABASE_URL: wrong });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/DATABASE_URL .*postgres:\/\/.*unset it|leave it unset for SQLite/);
      expect(problems[0]).not.toContain("hunter2");
    }
  });
});
