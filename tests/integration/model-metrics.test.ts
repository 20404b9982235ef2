/**
 * The model client's attempts as the metrics count them: the real `openai` client against the
 * fake server, a 429 that a retry hides still counted as an error, tokens from streamed usage.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatModel } from "../../src/agent/model-client.ts";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/logger.ts";
import { BotMetrics } from "../../src/ops/metrics.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai/fake-openai-server.ts";
import { samplesOf } from "../helpers/prometheus.ts";

let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});

afterAll(async () => {
  await fake?.close();
});

async function scrape(metrics: BotMetrics): Promise<Map<string, number>> {
  return samplesOf((await metrics.expose()).body);
}

describe("model metrics", () => {
  it("count a retried 429 as an error, the answer as ok, and its streamed tokens", async () => {
    const config = loadConfig({ OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.baseURL });
    const model = createChatModel({
      config: { ...config.model, apiKey: fake.apiKey },
      logger: silentLogger(),
    });
    const metrics = new BotMetrics();
    model.observe?.(metrics.model);
    fake.enqueue(
      { kind: "error", status: 429, retryAfterMs: 20, message: "Rate limit reached" },
      { kind: "reply", content: "Hello there." },
    );
    const turn = await model.complete({
      messages: [{ role: "user", content: "hi" }],
      tools: [],
      signal: new AbortController().signal,
      onTextDelta: () => undefined,
    });
    expect(turn.content).toBe("Hello there.");
    expect(turn.usage).not.toBeNull();
    const samples = await scrape(metrics);
    expect(samples.get('cib_model_errors_total{kind="model_rate_limited"}')).toBe(1);
    expect(samples.get('cib_model_calls_total{outcome="ok"}')).toBe(1);
    expect(samples.get('cib_model_calls_total{outcome="model_rate_limited"}')).toBe(1);
    expect(samples.get('cib_model_tokens_total{kind="input"}')).toBe(turn.usage?.inputTokens);
    expect(samples.get('cib_model_tokens_total{kind="output"}')).toBe(turn.usage?.outputTokens);
    expect(samples.get("cib_model_call_duration_seconds_count")).toBe(1);
  });
});
