/**
 * The bot as `npm start` runs it with SANDBOX_BACKEND=kubernetes: its credentials from a
 * kubeconfig file (KUBECONFIG), its sandboxes as pods through the fake API server, and /readyz
 * asking that API server instead of Docker. A Slack thread runs code in a pod and continues in it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubernetes } from "../fakes/kubernetes/fake-kubernetes.ts";
import { writeKubeconfig } from "../fakes/kubernetes/kubeconfig.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack/fake-slack.ts";
import { exitOf, fakeSlackEnv, startBotProcess } from "../helpers/bot-process.ts";
import { sandboxImage, testDocker } from "../helpers/sandbox.ts";
import { freePort } from "../helpers/slack-harness.ts";
import { waitUntil } from "../helpers/wait-until.ts";

const NAMESPACE = "code-interpreter-sandboxes";
const SCOPE = `k8s-bot-${process.pid}`;
const ROOT_TS = "1970000000.000100";
let slack: FakeSlack;
let fake: FakeKubernetes;

beforeAll(async () => {
  await sandboxImage();
  slack = await startFakeSlack();
  fake = await FakeKubernetes.start({ docker: testDocker(), scope: SCOPE, namespaces: [NAMESPACE] });
}, 900_000);

afterAll(async () => {
  await slack?.close();
  await fake?.close();
});

function done(ts: string): boolean {
  return slack.reactions.some((r) => r.timestamp === ts && r.name === "white_check_mark" && !r.removed);
}

function thread(): string {
  return slack.messages
    .filter((m) => m.thread_ts === ROOT_TS)
    .map((m) => m.text)
    .join("\n");
}

describe("the bot with SANDBOX_BACKEND=kubernetes", () => {
  it("runs a thread's code in a pod it starts through the API server, and reports the API server in /readyz", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "cib-k8s-bot-"));
    const kubeconfig = path.join(dataDir, "kubeconfig.yaml");
    await writeKubeconfig(kubeconfig, { url: fake.url, token: fake.token, namespace: NAMESPACE });
    const metricsPort = await freePort();
    const bot = startBotProcess(
      {
        ...fakeSlackEnv(slack),
        SANDBOX_BACKEND: "kubernetes",
        KUBECONFIG: kubeconfig,
        SANDBOX_KUBERNETES_NAMESPACE: NAMESPACE,
        SANDBOX_IMAGE: await sandboxImage(),
        SANDBOX_SCOPE: SCOPE,
        SANDBOX_POOL_SIZE: "1",
        METRICS_PORT: String(metricsPort),
      },
      dataDir,
    );
    let output = "";
    bot.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    bot.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await slack.waitForSocket(1, 60_000);
      await slack.sendEvent({
        type: "app_mention",
        user: "U0ALICE",
        text: `<@${slack.botUserId}> \`\`\`python\nx = 6\nprint("x is", x)\n\`\`\``,
        ts: ROOT_TS,
        channel: "C0GENERAL",
      });
      await waitUntil("the first run", () => done(ROOT_TS), 120_000);
      const next = slack.nextTs();
      await slack.sendEvent({
        type: "app_mention",
        user: "U0ALICE",
        text: `<@${slack.botUserId}> \`\`\`python\nprint("then", x * 7)\n\`\`\``,
        ts: next,
        thread_ts: ROOT_TS,
        channel: "C0GENERAL",
      });
      await waitUntil("the second run", () => done(next), 120_000);
      expect(thread()).toContain("x is 6");
      expect(thread()).toContain("then 42");

      // Both runs went to one pod the bot labelled as the thread's; no Docker container of its own.
      const sessionPods = fake.pods
        .list(NAMESPACE, [])
        .filter((pod) => pod.metadata?.annotations?.["code-interpreter-bot.session"]?.includes(ROOT_TS));
      expect(sessionPods).toHaveLength(1);
      const readyz = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      const report = (await readyz.json()) as { ready: boolean; passed: string[] };
      expect(readyz.status, JSON.stringify(report)).toBe(200);
      expect(report.passed).toContain("kubernetes");
      expect(report.passed).not.toContain("docker");
    } catch (error) {
      process.stderr.write(`bot output:\n${output}\n`);
      throw error;
    } finally {
      bot.kill("SIGTERM");
      await exitOf(bot);
    }
  }, 300_000);
});
