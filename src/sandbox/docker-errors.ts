/** Turns dockerode's low-level failures into errors that say what the admin should do. */
import { FatalError } from "../errors.ts";
import { UNREACHABLE_SOCKET_CODES } from "../socket-errors.ts";

interface DockerishError {
  code?: string;
  statusCode?: number;
  message?: string;
  address?: string;
}

export function explainDockerError(error: unknown, image?: string): Error {
  const e = (error ?? {}) as DockerishError;
  if (e.code === "ENOENT" || e.code === "ECONNREFUSED") {
    return new FatalError(
      "docker_unavailable",
      `Docker is not running or not reachable (${e.code}${e.address ? ` at ${e.address}` : ""}). ` +
        "Start it (for example `sudo systemctl start docker`, or `dockerd &`), or set DOCKER_HOST.",
      error,
    );
  }
  // The engine went away while a call was under way: stopping or restarting (an upgrade,
  // `systemctl restart docker`), or a remote engine's network failed.
  if (e.code && UNREACHABLE_SOCKET_CODES.has(e.code)) {
    return new FatalError(
      "docker_unavailable",
      `Docker stopped answering during a call (${e.code}: ${e.message ?? "no message"}); it may be restarting or stopped. ` +
        "Check that it runs (for example `docker info`), or the network to DOCKER_HOST.",
      error,
    );
  }
  if (e.code === "EACCES") {
    return new FatalError(
      "docker_permission",
      "The bot may not use the Docker socket (EACCES). Add its user to the `docker` group, or run it as root.",
      error,
    );
  }
  if (e.statusCode === 404 && image && /image/i.test(e.message ?? "")) {
    return new FatalError(
      "sandbox_image_missing",
      `The sandbox image ${image} does not exist. Build it with \`npm run sandbox:build\`.`,
      error,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
