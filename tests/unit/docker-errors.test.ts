/**
 * dockerode's low-level failures, as the bot words them: the code decides what the person in the
 * chat reads (user-messages.ts), the message what the admin reads in the log.
 */
import { describe, expect, it } from "vitest";
import { userTextFor } from "../../src/bot/user-messages.ts";
import { BotError } from "../../src/errors.ts";
import { explainDockerError } from "../../src/sandbox/docker-errors.ts";

/** What Node's socket layer hands dockerode when a call fails. */
function socketError(code: string, message: string, address?: string): Error {
  return Object.assign(new Error(message), { code, ...(address ? { address } : {}) });
}

describe("explainDockerError", () => {
  it("says Docker cannot be reached when its socket is missing or refuses", () => {
    for (const code of ["ENOENT", "ECONNREFUSED"]) {
      const explained = explainDockerError(socketError(code, `connect ${code}`, "/var/run/docker.sock"));
      expect(explained).toBeInstanceOf(BotError);
      expect((explained as BotError).code).toBe("docker_unavailable");
      expect(explained.message).toContain(`(${code} at /var/run/docker.sock)`);
    }
  });

  it("says the same when the engine drops a call under way, as it does while it stops", () => {
    // What a call in flight gets at the moment dockerd exits (measured: "socket hang up", "read ECONNRESET").
    for (const [code, message] of [
      ["ECONNRESET", "socket hang up"],
      ["ECONNRESET", "read ECONNRESET"],
      ["EPIPE", "write EPIPE"],
    ] as const) {
      const explained = explainDockerError(socketError(code, message));
      expect((explained as BotError).code).toBe("docker_unavailable");
      expect(explained.message).toContain(`${code}: ${message}`);
      expect(userTextFor(explained).text).toMatch(/^I can't run code right now: the bot cannot reach Docker/);
    }
  });

  it("names the socket's permission and a missing image, each with its fix", () => {
    const denied = explainDockerError(socketError("EACCES", "connect EACCES /var/run/docker.sock"));
    expect((denied as BotError).code).toBe("docker_permission");
    const missing = explainDockerError(
      Object.assign(new Error("(HTTP code 404) no such image - No such image: sandbox:x"), {
        statusCode: 404,
      }),
      "sandbox:x",
    );
    expect((missing as BotError).code).toBe("sandbox_image_missing");
    expect(missing.message).toContain("npm run sandbox:build");
  });

  it("passes anything else through as it is", () => {
    const conflict = Object.assign(new Error("(HTTP code 409) conflict"), { statusCode: 409 });
    expect(explainDockerError(conflict)).toBe(conflict);
    expect(explainDockerError("text").message).toBe("text");
  });
});
