import { describe, expect, it } from "vitest";
import type { ChatAdapter } from "../../src/bot/adapter.ts";
import { checkReadiness, type ReadinessCheck } from "../../src/ops/readiness.ts";
import {
  adapterChecks,
  type DockerProbe,
  dockerCheck,
  dockerHostsCheck,
  sandboxImageCheck,
  storeCheck,
} from "../../src/ops/readiness-checks.ts";

const passing = (part: string): ReadinessCheck => ({ part, check: async () => undefined });
const failing = (part: string, reason: string): ReadinessCheck => ({
  part,
  check: async () => {
    throw new Error(reason);
  },
});

/** Rejects the way dockerode does when nothing listens at DOCKER_HOST. */
function refusedDocker(): DockerProbe {
  const refused = () =>
    Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }));
  return { ping: refused, getImage: () => ({ inspect: refused }) };
}

function adapter(platform: string, ready?: () => boolean): ChatAdapter {
  return {
    platform,
    start: async () => undefined,
    stop: async () => undefined,
    ...(ready ? { ready } : {}),
  };
}

describe("checkReadiness", () => {
  it("is ready when every part passes, and lists them", async () => {
    const report = await checkReadiness([passing("store"), passing("docker")]);
    expect(report).toEqual({ ready: true, failing: [], passed: ["store", "docker"] });
  });

  it("names each failing part with its reason, and keeps the passing ones", async () => {
    const report = await checkReadiness([
      passing("store"),
      failing("docker", "Docker is not running"),
      failing("sandbox-image", "no such image"),
    ]);
    expect(report).toEqual({
      ready: false,
      failing: [
        { part: "docker", reason: "Docker is not running" },
        { part: "sandbox-image", reason: "no such image" },
      ],
      passed: ["store"],
    });
  });

  it("fails a check that throws before returning a promise", async () => {
    const report = await checkReadiness([
      {
        part: "store",
        check: () => {
          throw new Error("closed");
        },
      },
    ]);
    expect(report.failing).toEqual([{ part: "store", reason: "closed" }]);
  });

  it("fails a check that does not answer by its deadline, and aborts it", async () => {
    let aborted = false;
    const hung: ReadinessCheck = {
      part: "docker",
      check: (signal) =>
        new Promise<void>(() => {
          signal.addEventListener("abort", () => {
            aborted = true;
          });
        }),
    };
    const report = await checkReadiness([hung, passing("store")], 20);
    expect(report.failing).toEqual([{ part: "docker", reason: "no answer within 20 ms" }]);
    expect(report.passed).toEqual(["store"]);
    expect(aborted).toBe(true);
  });
});

describe("readiness checks", () => {
  it("says what to do when Docker cannot be reached, for Docker and for the image", async () => {
    const docker = refusedDocker();
    const report = await checkReadiness([dockerCheck(docker), sandboxImageCheck(docker, "cib-sandbox:abc")]);
    expect(report.failing.map((f) => f.part)).toEqual(["docker", "sandbox-image"]);
    for (const { reason } of report.failing) {
      expect(reason).toContain("Docker is not running or not reachable (ECONNREFUSED");
    }
  });

  it("names a missing sandbox image and how to build it", async () => {
    const missing = Object.assign(new Error("(HTTP code 404) no such image - No such image: cib:abc"), {
      statusCode: 404,
    });
    const docker: DockerProbe = {
      ping: async () => "OK",
      getImage: () => ({ inspect: () => Promise.reject(missing) }),
    };
    const report = await checkReadiness([dockerCheck(docker), sandboxImageCheck(docker, "cib:abc")]);
    expect(report.passed).toEqual(["docker"]);
    expect(report.failing).toEqual([
      {
        part: "sandbox-image",
        reason: "The sandbox image cib:abc does not exist. Build it with `npm run sandbox:build`.",
      },
    ]);
  });

  it("checks the store with its ping", async () => {
    const report = await checkReadiness([
      storeCheck({
        ping: () => Promise.reject(new Error("Cannot check the database: the store at x is closed.")),
      }),
    ]);
    expect(report.failing).toEqual([
      { part: "store", reason: "Cannot check the database: the store at x is closed." },
    ]);
  });

  it("checks only the adapters that can tell, at the time of the check", async () => {
    let connected = false;
    const checks = adapterChecks([adapter("slack"), adapter("web", () => connected)]);
    expect(checks.map((check) => check.part)).toEqual(["adapter:web"]);
    expect((await checkReadiness(checks)).failing).toEqual([
      { part: "adapter:web", reason: "web is not connected" },
    ]);
    connected = true;
    expect((await checkReadiness(checks)).ready).toBe(true);
  });
});

describe("readiness with several Docker engines", () => {
  const engines = (up: boolean[]) => {
    let probes = 0;
    return {
      probes: () => probes,
      probe: async () => {
        probes += 1;
      },
      hosts: () =>
        up.map((answers, index) => ({
          name: `tcp://docker-${index}:2376`,
          up: answers,
          reason: answers ? null : `the Docker engine tcp://docker-${index}:2376 stopped answering`,
        })),
    };
  };

  it("is ready while one engine answers, asking each afresh", async () => {
    const partly = engines([false, true]);
    await expect(dockerHostsCheck(partly).check(new AbortController().signal)).resolves.toBeUndefined();
    expect(partly.probes()).toBe(1);
  });

  it("names every engine that is down when none answers", async () => {
    await expect(
      dockerHostsCheck(engines([false, false])).check(new AbortController().signal),
    ).rejects.toThrow(
      "no Docker engine answers: the Docker engine tcp://docker-0:2376 stopped answering; the Docker engine tcp://docker-1:2376 stopped answering",
    );
  });
});
