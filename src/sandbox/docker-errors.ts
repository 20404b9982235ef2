/** Turns dockerode's low-level failures into errors that say what the admin should do. */
import { FatalError } from "../errors.ts";

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
