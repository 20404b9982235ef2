import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { pythonCall } from "../helpers/bot-harness.ts";
import { type CliResult, runCliCaptured } from "../helpers/cli.ts";
import { sandboxImage } from "../helpers/sandbox.ts";

let fake: FakeOpenAI;
let env: NodeJS.ProcessEnv;
const conversation = `ask-${randomUUID().slice(0, 8)}`;

async function cli(args: string[]): Promise<CliResult> {
  return runCliCaptured(args, env);
}

beforeAll(async () => {
  await sandboxImage();
  fake = await startFakeOpenAI();
  env = {
    ...process.env,
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_MODEL: "fake-model",
    DATA_DIR: await mkdtemp(path.join(tmpdir(), "cib-ask-")),
  };
}, 900_000);

afterAll(async () => {
  await cli(["close", `cli:local:ask:${conversation}`]);
  await fake?.close();
});

describe("code-interpreter-bot ask", () => {
  it("runs the agent, saves its outputs, and prints a JSON transcript", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "cib-ask-out-"));
    const data = path.join(out, "..", `numbers-${randomUUID().slice(0, 6)}.csv`);
    await writeFile(data, "n\n1\n2\n3\n");
    fake.enqueue(
      {
        kind: "reply",
        content: "Plotting.",
        toolCalls: [
          pythonCall(
            `import pandas as pd, matplotlib.pyplot as plt\ndf = pd.read_csv('${path.basename(data)}')\n` +
              "total = int(df.n.sum())\nprint(total)\ndf.n.plot()",
          ),
        ],
      },
      { kind: "reply", content: "The total is 6." },
    );
    const result = await cli([
      "ask",
      "--json",
      "--conversation",
      conversation,
      "--attach",
      data,
      "--out",
      out,
      "sum and plot n",
    ]);
    expect(result.code).toBe(0);
    const transcript = JSON.parse(result.stdout);
    expect(transcript).toMatchObject({
      conversation,
      status: "done",
      messages: ["Plotting.", "The total is 6."],
      codeRuns: [{ status: "ok", stdout: "6\n", error: null }],
      images: [{ name: "figure-1.png", width: 800, height: 500 }],
      errors: [],
    });
    expect(await readdir(out)).toEqual(["figure-1.png"]);
  });

  it("continues a named conversation in a later invocation, variables included", async () => {
    fake.enqueue(
      {
        kind: "custom",
        handle: (request) => {
          const texts = request.messages.map((m) => String(m.content));
          expect(texts.some((t) => t.startsWith("sum and plot n"))).toBe(true);
          return { kind: "reply", toolCalls: [pythonCall("print(total * 10)")] };
        },
      },
      { kind: "reply", content: "Sixty." },
    );
    const result = await cli(["ask", "--conversation", conversation, "and times ten?"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("Sixty.\n");
    expect(result.stderr).toContain("print(total * 10)");
    expect(result.stderr).toContain("60");
  });
});
