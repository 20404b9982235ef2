/**
 * The one-command deployment (Dockerfile, compose.yaml), as an admin runs it: the bot's image
 * builds, `docker compose up -d` with only an .env file brings up a bot whose healthcheck turns
 * healthy, and its web chat, reached through the port compose publishes, answers a ```python
 * message. Everything the run creates is removed afterwards, the sandbox its bot started included.
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBotImage, DEFAULT_BOT_IMAGE, hostCaCertsFile } from "../../scripts/bot-image.ts";
import { conversationKeyString } from "../../src/bot/incoming-message.ts";
import { silentLogger } from "../../src/logger.ts";
import { LABEL_SESSION } from "../../src/sandbox/container-spec.ts";
import { computeSandboxImageTag } from "../../src/sandbox/image-tag.ts";
import { SANDBOX_CONTEXT_DIR } from "../../src/sandbox/open-sandbox.ts";
import { sandboxImage, testDocker } from "../helpers/sandbox.ts";
import { freePort } from "../helpers/slack-harness.ts";
import { WebClient, WebDriver } from "../helpers/web-harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const docker = testDocker();
/** Unique per run, so nothing here touches another deployment on this engine. */
const project = `cib-deploy-test-${randomBytes(4).toString("hex")}`;
const token = randomBytes(24).toString("hex");
let deployDir = "";
let webPort = 0;
let metricsPort = 0;
const conversations: string[] = [];

/**
 * `docker compose` on the repository's compose.yaml, with the temporary directory standing for the
 * admin's checkout: its .env is both the bot's env_file and what compose reads WEB_PORT from. The
 * image is built beforehand, so `up` runs with --no-build (the build context would be that directory).
 */
async function compose(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run(
    "docker",
    [
      "compose",
      "--project-name",
      project,
      "--project-directory",
      deployDir,
      "--file",
      path.join(ROOT, "compose.yaml"),
      ...args,
    ],
    {
      // Only what compose needs: variables of the test's own environment (WEB_PORT, BOT_IMAGE…)
      // would win over the project's .env.
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? tmpdir(),
        WEB_PORT: String(webPort),
        METRICS_PORT: String(metricsPort),
      },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return stdout;
}

async function logs(): Promise<string> {
  return compose(["logs", "--no-color", "--tail", "60"]).catch(
    (error: Error) => `(no logs: ${error.message})`,
  );
}

/**
 * Waits for the container's healthcheck to say healthy, from Docker's own events: subscribed
 * before the state is read, so a change between the two is not missed. Fails at once if the
 * container stops or restarts.
 */
async function waitUntilHealthy(containerId: string, timeoutMs: number): Promise<void> {
  const events = (await docker.getEvents({
    filters: { container: [containerId], event: ["health_status", "die", "restart"] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  const state = async () => {
    const { State } = await docker.getContainer(containerId).inspect();
    return { health: State.Health?.Status, stopped: !State.Running || State.Restarting, State };
  };
  const failed = async (what: string) => new Error(`the bot's container ${what}; its logs:\n${await logs()}`);
  try {
    const now = await state();
    if (now.health === "healthy") return;
    if (now.stopped) throw await failed(`is ${now.State.Status} (exit code ${now.State.ExitCode})`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => void failed(`was not healthy within ${timeoutMs} ms`).then(reject),
        timeoutMs,
      );
      let pending = "";
      events.on("data", (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines.filter(Boolean)) {
          const { status } = JSON.parse(line) as { status?: string };
          if (status === "health_status: healthy") {
            clearTimeout(timer);
            resolve();
          } else if (status === "die" || status === "restart") {
            clearTimeout(timer);
            void failed(`stopped (${status})`).then(reject);
          }
        }
      });
      events.on("error", (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } finally {
    events.destroy();
  }
}

beforeAll(async () => {
  const version = await run("docker", ["compose", "version"]).catch(() => null);
  if (!version) {
    throw new Error(
      "`docker compose` (Compose v2) is missing: install it, e.g. with `sudo bash scripts/install-docker-compose.sh`",
    );
  }
  await sandboxImage();
  const started = Date.now();
  const image = await buildBotImage({
    docker,
    logger: silentLogger(),
    contextDir: ROOT,
    caCertsFile: hostCaCertsFile(process.env),
  });
  console.log(
    `bot image ${image.ref} built on ${image.base} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  // The bot in the container must find the sandbox image built here, not build (and retag) another.
  const { stdout } = await run("docker", [
    "run",
    "--rm",
    "--entrypoint",
    "node",
    DEFAULT_BOT_IMAGE,
    "--import",
    "tsx",
    "--input-type=module",
    "-e",
    'const { computeSandboxImageTag } = await import("/app/src/sandbox/image-tag.ts");' +
      'console.log(await computeSandboxImageTag("/app/sandbox-image"));',
  ]);
  expect(stdout.trim()).toBe(await computeSandboxImageTag(SANDBOX_CONTEXT_DIR));

  deployDir = await mkdtemp(path.join(tmpdir(), "cib-deploy-"));
  webPort = await freePort();
  metricsPort = await freePort();
  // What an admin puts in .env for the web chat alone: no model, no Slack or Discord.
  await writeFile(
    path.join(deployDir, ".env"),
    [
      `WEB_TOKEN=${token}`,
      `WEB_PORT=${webPort}`,
      `METRICS_PORT=${metricsPort}`,
      // No warm containers: the test removes exactly the one sandbox its message starts.
      "SANDBOX_POOL_SIZE=0",
      // Its own sandboxes, apart from a bot other tests start on this engine at the same time.
      `SANDBOX_SCOPE=deploy-test-${randomBytes(4).toString("hex")}`,
      "",
    ].join("\n"),
  );
}, 1_800_000);

afterAll(async () => {
  if (deployDir) {
    await compose(["down", "--volumes", "--remove-orphans", "--timeout", "45"]).catch((error: Error) =>
      console.error(`compose down failed: ${error.message}`),
    );
    // The bot leaves its sandboxes running for its next start to adopt; remove this test's.
    for (const id of conversations) {
      const key = conversationKeyString({ platform: "web", workspace: "local", channel: "web", thread: id });
      const containers = await docker.listContainers({
        all: true,
        filters: { label: [`${LABEL_SESSION}=${key}`] },
      });
      for (const container of containers)
        await docker.getContainer(container.Id).remove({ force: true, v: true });
    }
    await rm(deployDir, { recursive: true, force: true });
  }
}, 180_000);

describe("docker compose up -d (compose.yaml, Dockerfile)", () => {
  it("turns healthy and answers a ```python message in the web chat on the published port", async () => {
    const started = Date.now();
    await compose(["up", "--detach", "--no-build"]);
    const containerId = (await compose(["ps", "--quiet", "bot"])).trim();
    expect(containerId).not.toBe("");
    await waitUntilHealthy(containerId, 180_000);
    console.log(`healthy ${((Date.now() - started) / 1000).toFixed(1)} s after compose up`);

    const info = await docker.getContainer(containerId).inspect();
    expect(info.Config.Image).toBe(DEFAULT_BOT_IMAGE);
    expect(info.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    // Published on the host's loopback only.
    for (const bindings of Object.values(info.HostConfig.PortBindings ?? {}) as { HostIp: string }[][]) {
      for (const binding of bindings) expect(binding.HostIp).toBe("127.0.0.1");
    }
    // The bot runs as its own user, not root, and still reaches the Docker socket.
    const top = (await docker.getContainer(containerId).top({ ps_args: "-o pid,uid,args" })) as {
      Processes: string[][];
    };
    // (Under docker-init, which compose's `init: true` puts at PID 1.)
    const bot = top.Processes.find((process) => process[2]?.startsWith("node --import tsx src/main.ts"));
    expect(bot?.[1]).toBe("10001");
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });

    const url = `http://127.0.0.1:${webPort}`;
    expect((await fetch(`${url}/api/conversations`)).status).toBe(401);
    const driver = new WebDriver(new WebClient(url, token));
    try {
      const message = await driver.startThread("```python\nprint(6 * 7)\n```");
      conversations.push(message.thread);
      expect(await driver.waitForReply(message, 120_000)).toBe("done");
      expect(driver.view(message.thread).texts.join("\n")).toContain("42");
    } finally {
      driver.close();
    }
    console.log(`answered ${((Date.now() - started) / 1000).toFixed(1)} s after compose up`);
  }, 420_000);
});
