/**
 * Where the Docker engines are: DOCKER_HOST (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the
 * docker CLI reads them), and SANDBOX_DOCKER_HOSTS for sandboxes spread over several engines.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { EnvReader } from "./config.ts";

export type DockerConnection =
  | { socketPath: string }
  | {
      host: string;
      port: number;
      protocol: "http" | "https";
      /** With DOCKER_TLS_VERIFY: the engine's CA and this client's certificate and key (PEM). */
      ca?: string;
      cert?: string;
      key?: string;
    };

/** One engine sandboxes run on, with the name logs, `sessions` and metrics give it. */
export interface DockerHost {
  name: string;
  connection: DockerConnection;
}

export function parseDockerHost(
  value: string | null,
  reader: EnvReader,
  setting = "DOCKER_HOST=",
): DockerConnection {
  if (!value) return { socketPath: "/var/run/docker.sock" };
  if (value.startsWith("unix://")) return { socketPath: value.slice("unix://".length) };
  const match = /^(tcp|http|https):\/\/([^:/]+):(\d+)\/?$/.exec(value);
  if (match?.[2] && match[3]) {
    return { host: match[2], port: Number(match[3]), protocol: match[1] === "https" ? "https" : "http" };
  }
  reader.problem(`${setting}${value} is not unix:///path/to/docker.sock or tcp://host:port.`);
  return { socketPath: "/var/run/docker.sock" };
}

/**
 * The Docker engine, as the docker CLI finds it: DOCKER_HOST, and for an engine on another host,
 * DOCKER_TLS_VERIFY=1 with ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH (default ~/.docker).
 */
export function readDocker(read: EnvReader): DockerConnection {
  return withTls(parseDockerHost(read.optionalString("DOCKER_HOST"), read), read);
}

/** DOCKER_TLS_VERIFY's certificates for an engine reached over TCP. */
function withTls(connection: DockerConnection, read: EnvReader): DockerConnection {
  if (!("host" in connection) || !read.boolean("DOCKER_TLS_VERIFY", false)) return connection;
  const certPath = read.string("DOCKER_CERT_PATH", path.join(homedir(), ".docker"));
  const pem = (name: string): string => {
    try {
      return readFileSync(path.join(certPath, name), "utf8");
    } catch {
      read.problem(
        `DOCKER_TLS_VERIFY=1 needs ${name} in DOCKER_CERT_PATH=${certPath} (the engine's CA, and this ` +
          "client's certificate and key, as the docker CLI uses them).",
      );
      return "";
    }
  };
  return { ...connection, protocol: "https", ca: pem("ca.pem"), cert: pem("cert.pem"), key: pem("key.pem") };
}

/**
 * SANDBOX_DOCKER_HOSTS: engines separated by commas, each unix:///path or tcp://host:port (TLS
 * by DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, one CA and client certificate for all). Unset: the
 * one engine of DOCKER_HOST.
 */
export function readDockerHosts(read: EnvReader, docker: DockerConnection): DockerHost[] {
  const listed = read.optionalString("SANDBOX_DOCKER_HOSTS");
  if (listed === null) {
    return [
      { name: read.optionalString("DOCKER_HOST") ?? "unix:///var/run/docker.sock", connection: docker },
    ];
  }
  const names = listed
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (names.length === 0)
    read.problem("SANDBOX_DOCKER_HOSTS is empty: list one engine or more, or unset it.");
  if (new Set(names).size !== names.length)
    read.problem(`SANDBOX_DOCKER_HOSTS=${listed} names an engine twice.`);
  return names.map((name) => ({
    name,
    connection: withTls(parseDockerHost(name, read, "SANDBOX_DOCKER_HOSTS: "), read),
  }));
}
