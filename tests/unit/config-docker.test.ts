import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { configProblems } from "../helpers/config-problems.ts";

let certDir = "";

afterEach(async () => {
  if (certDir) await rm(certDir, { recursive: true, force: true });
  certDir = "";
});

/** A DOCKER_CERT_PATH as `docker context` or dockerd's TLS guide leaves it. */
async function certificates(names = ["ca.pem", "cert.pem", "key.pem"]): Promise<string> {
  certDir = await mkdtemp(path.join(tmpdir(), "cib-docker-certs-"));
  for (const name of names) await writeFile(path.join(certDir, name), `-----${name}-----\n`);
  return certDir;
}

describe("the Docker engine's address (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)", () => {
  it("reaches a socket, rootless Docker's included", () => {
    expect(loadConfig({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" }).docker).toEqual({
      socketPath: "/run/user/1000/docker.sock",
    });
  });

  it("speaks plain HTTP to tcp:// without DOCKER_TLS_VERIFY", () => {
    expect(loadConfig({ DOCKER_HOST: "tcp://docker.internal:2375" }).docker).toEqual({
      host: "docker.internal",
      port: 2375,
      protocol: "http",
    });
  });

  it("speaks TLS with the CLI's certificates to a dedicated Docker host", async () => {
    const dir = await certificates();
    const docker = loadConfig({
      DOCKER_HOST: "tcp://docker.internal:2376",
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: dir,
    }).docker;
    expect(docker).toEqual({
      host: "docker.internal",
      port: 2376,
      protocol: "https",
      ca: "-----ca.pem-----\n",
      cert: "-----cert.pem-----\n",
      key: "-----key.pem-----\n",
    });
  });

  it("names each certificate file that is missing", async () => {
    const dir = await certificates(["ca.pem"]);
    const problems = configProblems({
      DOCKER_HOST: "tcp://docker.internal:2376",
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: dir,
    });
    expect(problems).toEqual([
      expect.stringContaining(`needs cert.pem in DOCKER_CERT_PATH=${dir}`),
      expect.stringContaining(`needs key.pem in DOCKER_CERT_PATH=${dir}`),
    ]);
  });
});

describe("several Docker engines (SANDBOX_DOCKER_HOSTS)", () => {
  it("lists each engine, named as written, with TLS for the tcp:// ones", async () => {
    const config = loadConfig({
      SANDBOX_DOCKER_HOSTS: "unix:///var/run/docker.sock, tcp://sandbox-2.internal:2376",
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: await certificates(),
    });
    expect(config.dockerHosts.map((host) => host.name)).toEqual([
      "unix:///var/run/docker.sock",
      "tcp://sandbox-2.internal:2376",
    ]);
    expect(config.dockerHosts[1]?.connection).toMatchObject({
      host: "sandbox-2.internal",
      port: 2376,
      protocol: "https",
      ca: "-----ca.pem-----\n",
    });
    // The first engine is the one the image is built on and the ops checks fall back to.
    expect(config.docker).toEqual({ socketPath: "/var/run/docker.sock" });
  });

  it("is the one engine of DOCKER_HOST when unset", () => {
    expect(loadConfig({ DOCKER_HOST: "tcp://docker.internal:2375" }).dockerHosts).toEqual([
      {
        name: "tcp://docker.internal:2375",
        connection: { host: "docker.internal", port: 2375, protocol: "http" },
      },
    ]);
  });

  it("refuses an engine listed twice, an empty list and an address it cannot read", () => {
    expect(configProblems({ SANDBOX_DOCKER_HOSTS: "unix:///a.sock,unix:///a.sock" })).toEqual([
      "SANDBOX_DOCKER_HOSTS=unix:///a.sock,unix:///a.sock names an engine twice.",
    ]);
    expect(configProblems({ SANDBOX_DOCKER_HOSTS: " , " })).toEqual([
      "SANDBOX_DOCKER_HOSTS is empty: list one engine or more, or unset it.",
    ]);
    expect(configProblems({ SANDBOX_DOCKER_HOSTS: "unix:///a.sock,ssh://b" })).toEqual([
      "SANDBOX_DOCKER_HOSTS: ssh://b is not unix:///path/to/docker.sock or tcp://host:port.",
    ]);
  });
});
