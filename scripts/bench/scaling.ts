/**
 * The bench's "Scaling out" section (issue #12): (j) a session restored on another Docker engine
 * when its own fails, and (k) requests per second across two bot replicas against one. Runs both
 * and words the section; sections.ts puts it into BENCHMARKS.md in place of an earlier one, so
 * `--only scaling --write` leaves the other figures as they are.
 */
import type Dockerode from "dockerode";
import type { Config } from "../../src/config.ts";
import type { Logger } from "../../src/logger.ts";
import { ensureSandboxImage } from "../../src/sandbox/image-builder.ts";
import { DEFAULT_SANDBOX_REPOSITORY } from "../../src/sandbox/image-tag.ts";
import { SANDBOX_CONTEXT_DIR } from "../../src/sandbox/open-sandbox.ts";
import { measureRestore, type RestoreResult } from "./engine-restore.ts";
import type { Row } from "./measure.ts";
import { measureReplicas, type ReplicasResult, type Throughput } from "./replicas.ts";

export const SCALING_HEADING = "## Scaling out (issue #12)";

export interface ScalingContext {
  config: Config;
  docker: Dockerode;
  logger: Logger;
  /** Samples of (j). */
  restoreSamples: number;
  /** Requests sent at once in (k). */
  requests: number;
  /** Settings the bot processes of (k) get on top of their own (DOCKER_HOST, when the bench has one). */
  botEnv: Record<string, string>;
  /** The machine, in one line, as the rest of the report gives it. */
  machine: string;
  log: (line: string) => void;
}

/** The sandbox image as the bot would use it: SANDBOX_IMAGE, or the current build (made if missing). */
async function benchImage(config: Config, docker: Dockerode, logger: Logger): Promise<string> {
  if (config.sandbox.image) return config.sandbox.image;
  const built = await ensureSandboxImage({
    docker,
    contextDir: SANDBOX_CONTEXT_DIR,
    repository: DEFAULT_SANDBOX_REPOSITORY,
    logger,
    debianMirror: config.sandbox.debianMirror,
  });
  return built.ref;
}

/** Runs (j) and (k) and returns the section, heading included. */
export async function scalingSection(context: ScalingContext): Promise<string> {
  const { config, docker, logger, log } = context;
  const image = await benchImage(config, docker, logger);
  const started = performance.now();
  const restore = await orFailed(log, "(j)", () =>
    measureRestore({
      docker,
      engineName: config.dockerHosts[0]?.name ?? "docker",
      image,
      limits: config.sandbox.limits,
      logger,
      samples: context.restoreSamples,
      log,
    }),
  );
  if (restore.skipped) log(`(j) not measured: ${restore.skipped}`);
  const restoreMs = performance.now() - started;
  const replicas = await orFailed(log, "(k)", () =>
    measureReplicas({
      docker,
      image,
      limits: config.sandbox.limits,
      logger,
      requests: context.requests,
      env: { SANDBOX_RUNTIME: config.sandbox.runtime, ...context.botEnv },
      log,
    }),
  );
  if (replicas.skipped) log(`(k) not measured: ${replicas.skipped}`);
  const replicasMs = performance.now() - started - restoreMs;
  return [
    SCALING_HEADING,
    `Measured on ${new Date().toISOString().slice(0, 10)}; machine: ${context.machine}.`,
    restoreText(restore),
    replicasText(replicas, config.sandbox.runtime),
    `Time taken: (j) ${(restoreMs / 1000).toFixed(0)} s, (k) ${(replicasMs / 1000).toFixed(0)} s.`,
  ].join("\n\n");
}

/** A measurement that failed is reported as such, and the other still runs. */
async function orFailed<T>(
  log: (line: string) => void,
  name: string,
  measure: () => Promise<T>,
): Promise<T | { skipped: string }> {
  try {
    return await measure();
  } catch (error) {
    log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    return { skipped: `it failed: ${message}` };
  }
}

const ms = (value: number) => value.toFixed(0);

function restoreText(result: RestoreResult): string {
  if (result.skipped !== null)
    return `(j) Restore on another Docker engine: not measured; ${result.skipped}.`;
  const table = (rows: Row[]) =>
    [
      "| measurement | unit | samples | median | p95 |",
      "| --- | --- | ---: | ---: | ---: |",
      ...rows.map((r) => `| ${r.name} | ms | ${r.runs} | ${ms(r.median)} | ${ms(r.p95)} |`),
    ].join("\n");
  return [
    "(j) A conversation's sandbox on engine B of two (SANDBOX_DOCKER_HOSTS; B is a second dockerd on " +
      "this machine, in a network namespace of its own), 20 files of 256 KiB in /mnt/data kept on the host " +
      "after its runs; then B stops (SIGTERM, its containers stop with it) and the conversation's next run, " +
      "`print(len(os.listdir('/mnt/data')))`, starts a container on engine A and puts the files back. The run " +
      "finds out by itself that B is gone (no probe before it). runc, no pool.",
    table([result.restore, result.fresh]),
    `- restore on the other engine / new conversation's first print(1): ${(result.restore.median / result.fresh.median).toFixed(1)}x (medians)`,
  ].join("\n\n");
}

function replicasText(result: ReplicasResult, runtime: string): string {
  if (result.skipped !== null)
    return `(k) Requests per second across replicas: not measured; ${result.skipped}.`;
  const line = (name: string, t: Throughput) =>
    `- ${name}: ${t.answered} of ${t.requests} answered in ${t.seconds.toFixed(1)} s, ${t.rps.toFixed(2)} requests/s`;
  return [
    `(k) ${result.one.requests} requests sent at once, each a mention with \`print(sum(range(10**6)))\` ` +
      "in a thread of its own, to bot processes as `npm start` runs them (no model: the bot runs the block " +
      "itself), on one PostgreSQL, one SESSIONS_DIR and one SANDBOX_SCOPE, with the fake Slack spreading " +
      `the envelopes over the replicas' Socket Mode connections; ${runtime}, ${result.settings}. ` +
      "Wall time from the first send until every request has its ✅; one warm-up request per replica before.",
    [
      line("one replica", result.one),
      line("two replicas", result.two),
      `- two replicas / one: ${(result.two.rps / result.one.rps).toFixed(2)}x`,
    ].join("\n"),
    "Both replicas share this machine's CPUs and its one Docker engine: each request needs a new " +
      "container, and the engine starting containers and the sandboxes' Python both run on the same cores " +
      "whichever process asked. The ratio is what a second process adds on one machine, not what a second " +
      "machine with its own engine would.",
  ].join("\n\n");
}
