/**
 * The operators' endpoint as main.ts wires it (startOps), over HTTP, on a free port: the real
 * SQLite store and the real bot core on the scripted sandbox, so no Docker is needed. Docker
 * itself is either an engine nobody answers at (DOCKER_HOST=tcp://127.0.0.1:1, through the
 * config and dockerode like the bot's), a probe that answers, or the host's real engine behind
 * a proxy the test cuts and restores.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebAdapter } from "../../adapters/web/web-adapter.ts";
import type { ChatAdapter } from "../../src/bot/adapter.ts";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/logger.ts";
import type { DockerProbe } from "../../src/ops/readiness-checks.ts";
import { type RunningOps, startOps } from "../../src/ops/start-ops.ts";
import { createDocker } from "../../src/sandbox/open-sandbox.ts";
import { FakeSandbox } from "../fakes/sandbox/fake-sandbox.ts";
import { type BotHarness, createBotHarness, ofType } from "../helpers/bot-harness.ts";
import { DockerProxy } from "../helpers/docker-proxy.ts";
import { sandboxImage, TEST_LIMITS } from "../helpers/sandbox.ts";

const IMAGE = "code-interpreter-bot-sandbox:test";
const answeringDocker: DockerProbe = {
  ping: async () => "OK",
  getImage: (ref) => ({
    inspect: async () => {
      if (ref !== IMAGE) throw Object.assign(new Error("no such image"), { statusCode: 404 });
      return { Id: "sha256:abc" };
    },
  }),
};
const admission = { live: 3, pooled: 2, running: 1, waiting: 0 };

let harness: BotHarness;
let reachable: RunningOps;
let unreachable: RunningOps;

async function startWith(
  docker: DockerProbe,
  adapters: ChatAdapter[] = [harness.adapter],
): Promise<RunningOps> {
  return startOps({
    config: { host: "127.0.0.1", port: 0 },
    bot: harness.bot,
    store: harness.store,
    docker,
    sandboxImage: IMAGE,
    sandboxCounts: () => admission,
    adapters,
    logger: silentLogger(),
  });
}

beforeAll(async () => {
  const sandbox = new FakeSandbox({ limits: TEST_LIMITS });
  sandbox.script("print(6 * 7)", () => ({ stdout: "42\n", durationMs: 30 }));
  harness = await createBotHarness({}, false, { sandbox });
  reachable = await startWith(answeringDocker);
  unreachable = await startWith(createDocker(loadConfig({ DOCKER_HOST: "tcp://127.0.0.1:1" })));
});

afterAll(async () => {
  await reachable?.close();
  await unreachable?.close();
  await harness?.close();
});

/** Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan"). */
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[nN][aA][nN]|[+-]?[iI][nN][fF])( -?\d+)?$/;
const HELP = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/;
const TYPE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;

/**
 * Parses Prometheus text exposition (0.0.4) strictly: every line is HELP, TYPE,
 * `name{labels} value` or empty (the format ignores those; prom-client puts one between
 * families), and every sample belongs to a family with both HELP and TYPE before it.
 */
function parseExposition(text: string): Map<string, number> {
  expect(text.endsWith("\n")).toBe(true);
  const help = new Set<string>();
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.slice(0, -1).split("\n")) {
    const helpLine = HELP.exec(line);
    const typeLine = TYPE.exec(line);
    if (line === "") continue;
    if (helpLine?.[1]) help.add(helpLine[1]);
    else if (typeLine?.[1] && typeLine[2]) types.set(typeLine[1], typeLine[2]);
    else {
      const sample = SAMPLE.exec(line);
      if (!sample?.[1] || sample[3] === undefined)
        throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
      const name = sample[1];
      const family = [name, name.replace(/_(bucket|sum|count)$/, "")].find((candidate) =>
        types.has(candidate),
      );
      if (!family || !help.has(family)) throw new Error(`${name} has no HELP and TYPE before it`);
      samples.set(`${name}${sample[2] ?? ""}`, Number(sample[3]));
    }
  }
  return samples;
}

async function scrape(ops: RunningOps): Promise<Map<string, number>> {
  const response = await fetch(`${ops.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe("the ops endpoint", () => {
  it("answers /healthz while the process runs, and names the routes it has", async () => {
    const health = await fetch(`${reachable.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok\n"]);
    const unknown = await fetch(`${reachable.url}/nope`);
    expect([unknown.status, await unknown.text()]).toEqual([
      404,
      "not found: try /healthz, /readyz or /metrics\n",
    ]);
    expect((await fetch(`${reachable.url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("serves Prometheus text whose request and run counters move with a request the bot handled", async () => {
    const before = await scrape(reachable);
    const done = 'cib_requests_total{platform="memory",outcome="done"}';
    const runs = 'cib_code_runs_total{platform="memory",status="ok"}';
    expect(before.get(done)).toBe(0);
    expect(before.has(runs)).toBe(false);
    expect(before.get("cib_sandboxes_live")).toBe(3);
    expect(before.get("cib_sandboxes_pooled")).toBe(2);
    expect(before.has("cib_process_resident_memory_bytes")).toBe(true);

    const events = await harness.adapter.send({ text: "```python\nprint(6 * 7)\n```", thread: "ops-1" });
    expect(ofType(events, "code-result")[0]?.run.stdout).toBe("42\n");

    const after = await scrape(reachable);
    expect(after.get(done)).toBe(1);
    expect(after.get(runs)).toBe(1);
    expect(after.get('cib_code_run_duration_seconds_sum{platform="memory",status="ok"}')).toBe(0.03);
    expect(after.get('cib_request_duration_seconds_count{platform="memory",outcome="done"}')).toBe(1);
    admission.waiting = 5;
    expect((await scrape(reachable)).get("cib_sandbox_requests_waiting")).toBe(5);
  });

  it("counts a redelivered message once as done and once as a duplicate", async () => {
    const done = 'cib_requests_total{platform="memory",outcome="done"}';
    const duplicate = 'cib_requests_total{platform="memory",outcome="duplicate"}';
    const before = await scrape(reachable);
    const help = { text: "help", command: "help", thread: "ops-2", deliveryId: "ops-delivery" } as const;
    expect(ofType(await harness.adapter.send(help), "text")).toHaveLength(1);
    expect(await harness.adapter.send(help)).toEqual([]);
    const after = await scrape(reachable);
    expect(after.get(done)).toBe((before.get(done) ?? 0) + 1);
    expect(after.get(duplicate)).toBe((before.get(duplicate) ?? 0) + 1);
  });

  it("counts a question it could not answer (no model is configured) as failed", async () => {
    const failed = 'cib_requests_total{platform="memory",outcome="failed"}';
    const before = (await scrape(reachable)).get(failed) ?? 0;
    const events = await harness.adapter.send({ text: "plot a sine wave", thread: "ops-3" });
    expect(ofType(events, "error").map((event) => event.code)).toEqual(["no_model"]);
    expect((await scrape(reachable)).get(failed)).toBe(before + 1);
  });

  it("is ready with a writable store, an answering Docker and the image present", async () => {
    const response = await fetch(`${reachable.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ready: true,
      failing: [],
      passed: ["bot", "store", "docker", "sandbox-image"],
    });
  });

  it("is not ready, naming docker and the image, when DOCKER_HOST points at no engine", async () => {
    const response = await fetch(`${unreachable.url}/readyz`);
    expect(response.status).toBe(503);
    const report = (await response.json()) as { ready: boolean; failing: { part: string; reason: string }[] };
    expect(report.ready).toBe(false);
    expect(report.failing.map((failure) => failure.part)).toEqual(["docker", "sandbox-image"]);
    expect(report.failing[0]?.reason).toContain("Docker is not running or not reachable (ECONNREFUSED");
  });

  it("names docker while the engine is unreachable and is ready again once it is back", async () => {
    const proxy = new DockerProxy();
    const docker = createDocker(loadConfig({ DOCKER_HOST: await proxy.open() }));
    const ops = await startOps({
      config: { host: "127.0.0.1", port: 0 },
      bot: harness.bot,
      store: harness.store,
      docker,
      sandboxImage: await sandboxImage(),
      sandboxCounts: () => admission,
      adapters: [harness.adapter],
      logger: silentLogger(),
    });
    const readiness = async () => {
      const response = await fetch(`${ops.url}/readyz`);
      const report = (await response.json()) as { failing: { part: string }[] };
      return { status: response.status, failing: report.failing.map((failure) => failure.part) };
    };
    try {
      expect(await readiness()).toEqual({ status: 200, failing: [] });
      await proxy.cut();
      expect(await readiness()).toEqual({ status: 503, failing: ["docker", "sandbox-image"] });
      await proxy.open();
      expect(await readiness()).toEqual({ status: 200, failing: [] });
    } finally {
      await ops.close();
      await proxy.cut();
    }
  });

  it("names the web chat until its server listens, and again once it stops", async () => {
    const web = new WebAdapter({
      config: { host: "127.0.0.1", port: 0, token: null },
      dataDir: await mkdtemp(path.join(tmpdir(), "cib-ops-web-")),
      maxAttachmentBytes: 1024 * 1024,
      modelConfigured: false,
      logger: silentLogger(),
    });
    const ops = await startWith(answeringDocker, [harness.adapter, web]);
    const failingParts = async () => {
      const response = await fetch(`${ops.url}/readyz`);
      const report = (await response.json()) as { failing: { part: string }[] };
      return { status: response.status, failing: report.failing.map((failure) => failure.part) };
    };
    try {
      expect(await failingParts()).toEqual({ status: 503, failing: ["adapter:web"] });
      await web.start(harness.bot);
      expect(await failingParts()).toEqual({ status: 200, failing: [] });
      await web.stop();
      expect(await failingParts()).toEqual({ status: 503, failing: ["adapter:web"] });
    } finally {
      await web.stop();
      await ops.close();
    }
  });

  it("says the bot is stopping once it drains, so traffic moves away before it exits", async () => {
    reachable.draining();
    const response = await fetch(`${reachable.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      failing: [{ part: "bot", reason: "the bot is stopping: requests in progress are finishing" }],
    });
    expect((await fetch(`${reachable.url}/healthz`)).status).toBe(200);
  });
});
