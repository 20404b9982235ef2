import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { BotMetrics, sandboxCountsOf } from "../../src/ops/metrics.ts";
import { dockerHostsGauge } from "../../src/ops/sandbox-metrics.ts";
import { samplesOf } from "../helpers/prometheus.ts";

describe("BotMetrics", () => {
  it("counts requests by platform and outcome, and times all but repeated deliveries", async () => {
    const metrics = new BotMetrics({ platforms: ["slack"] });
    let text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_requests_total{platform="slack",outcome="done"}')).toBe(0);
    expect(text.get('cib_requests_total{platform="slack",outcome="duplicate"}')).toBe(0);

    metrics.requestFinished({ platform: "slack", outcome: "done", durationMs: 1_500 });
    metrics.requestFinished({ platform: "slack", outcome: "duplicate", durationMs: 0 });
    metrics.requestFinished({ platform: "discord", outcome: "failed", durationMs: 200 });
    text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_requests_total{platform="slack",outcome="done"}')).toBe(1);
    expect(text.get('cib_requests_total{platform="slack",outcome="duplicate"}')).toBe(1);
    expect(text.get('cib_requests_total{platform="discord",outcome="failed"}')).toBe(1);
    expect(text.get('cib_request_duration_seconds_count{platform="slack",outcome="done"}')).toBe(1);
    expect(text.get('cib_request_duration_seconds_sum{platform="slack",outcome="done"}')).toBe(1.5);
    expect(text.get('cib_request_duration_seconds_bucket{le="2.5",platform="slack",outcome="done"}')).toBe(1);
    expect(text.get('cib_request_duration_seconds_bucket{le="1",platform="slack",outcome="done"}')).toBe(0);
    expect(text.has('cib_request_duration_seconds_count{platform="slack",outcome="duplicate"}')).toBe(false);
  });

  it("counts and times code runs by status", async () => {
    const metrics = new BotMetrics();
    metrics.codeRunFinished({ platform: "web", status: "ok", durationMs: 40 });
    metrics.codeRunFinished({ platform: "web", status: "timeout", durationMs: 120_000 });
    const text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_code_runs_total{platform="web",status="ok"}')).toBe(1);
    expect(text.get('cib_code_run_duration_seconds_sum{platform="web",status="timeout"}')).toBe(120);
    expect(text.get('cib_code_run_duration_seconds_bucket{le="0.05",platform="web",status="ok"}')).toBe(1);
  });

  it("reads the sandbox gauges from the admission at each scrape", async () => {
    const admission = { liveCount: 3, runningCount: 1, waitingCount: 0, pool: { readyCount: 2 } };
    const metrics = new BotMetrics({ sandbox: sandboxCountsOf(admission) });
    let text = samplesOf((await metrics.expose()).body);
    expect(text.get("cib_sandboxes_live")).toBe(3);
    expect(text.get("cib_sandboxes_pooled")).toBe(2);
    expect(text.get("cib_sandbox_runs_running")).toBe(1);
    expect(text.get("cib_sandbox_requests_waiting")).toBe(0);
    admission.waitingCount = 4;
    admission.pool.readyCount = 0;
    text = samplesOf((await metrics.expose()).body);
    expect(text.get("cib_sandbox_requests_waiting")).toBe(4);
    expect(text.get("cib_sandboxes_pooled")).toBe(0);
    // Live containers neither pooled nor running code are idle conversations.
    expect(text.get("cib_sandboxes_idle")).toBe(2);
  });

  it("times queue waits and container openings as the admission reports them", async () => {
    const admission = { liveCount: 0, runningCount: 0, waitingCount: 0, pool: { readyCount: 0 } };
    const metrics = new BotMetrics({ sandbox: sandboxCountsOf(admission) });
    let text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_sandbox_queue_wait_seconds_count{queue="container"}')).toBe(0);
    metrics.sandbox?.waited("container", 2_000);
    metrics.sandbox?.waited("run", 0);
    metrics.sandbox?.opened("pooled", 40);
    text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_sandbox_queue_wait_seconds_sum{queue="container"}')).toBe(2);
    expect(text.get('cib_sandbox_queue_wait_seconds_bucket{le="0.001",queue="run"}')).toBe(1);
    expect(text.get('cib_sandbox_open_seconds_bucket{le="0.05",how="pooled"}')).toBe(1);
  });

  it("counts model attempts, errors by kind, tokens and the time of successful calls", async () => {
    const metrics = new BotMetrics();
    metrics.model.attemptFinished({
      outcome: "model_rate_limited",
      durationMs: 90,
      inputTokens: null,
      outputTokens: null,
    });
    metrics.model.attemptFinished({
      outcome: "ok",
      durationMs: 3_000,
      inputTokens: 1_200,
      outputTokens: 300,
    });
    metrics.model.attemptFinished({
      outcome: "model_cancelled",
      durationMs: 10,
      inputTokens: null,
      outputTokens: null,
    });
    const text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_model_calls_total{outcome="ok"}')).toBe(1);
    expect(text.get('cib_model_calls_total{outcome="model_rate_limited"}')).toBe(1);
    expect(text.get('cib_model_errors_total{kind="model_rate_limited"}')).toBe(1);
    expect(text.has('cib_model_errors_total{kind="model_cancelled"}')).toBe(false);
    expect(text.get('cib_model_tokens_total{kind="input"}')).toBe(1_200);
    expect(text.get('cib_model_tokens_total{kind="output"}')).toBe(300);
    expect(text.get("cib_model_call_duration_seconds_count")).toBe(1);
    expect(text.get("cib_model_call_duration_seconds_sum")).toBe(3);
  });

  it("counts platform API errors by kind and rate-limit waits with their time", async () => {
    const metrics = new BotMetrics({ platforms: ["slack", "discord"] });
    let text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_platform_rate_limited_total{platform="discord"}')).toBe(0);
    metrics.platforms.apiError({ platform: "slack", kind: "channel_not_found" });
    metrics.platforms.rateLimited({ platform: "discord", waitMs: 1_500 });
    metrics.platforms.rateLimited({ platform: "discord", waitMs: 500 });
    text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_platform_api_errors_total{platform="slack",kind="channel_not_found"}')).toBe(1);
    expect(text.get('cib_platform_rate_limited_total{platform="discord"}')).toBe(2);
    expect(text.get('cib_platform_rate_limit_wait_seconds_total{platform="discord"}')).toBe(2);
  });

  it("leaves the sandbox gauges out without a sandbox, and adds the process metrics when asked", async () => {
    const bare = (await new BotMetrics().expose()).body;
    expect(bare).not.toContain("cib_sandboxes_live");
    expect(bare).not.toContain("process_cpu");
    const full = (await new BotMetrics({ defaultMetrics: true }).expose()).body;
    expect(full).toContain("# TYPE cib_process_cpu_user_seconds_total counter");
    expect(full).toContain("cib_nodejs_eventloop_lag_seconds");
  });
});

describe("METRICS_PORT and METRICS_HOST", () => {
  it("default to 127.0.0.1:9464, and METRICS_PORT=0 turns the endpoints off", () => {
    expect(loadConfig({}).ops).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(loadConfig({ METRICS_PORT: "0" }).ops).toBeNull();
    expect(loadConfig({ METRICS_HOST: "0.0.0.0", METRICS_PORT: "9100" }).ops).toEqual({
      host: "0.0.0.0",
      port: 9100,
    });
    expect(loadConfig({ METRICS_HOST: "::1" }).ops?.host).toBe("::1");
  });

  it("reports a bad port and a bad host together", () => {
    expect(() => loadConfig({ METRICS_PORT: "70000", METRICS_HOST: "http://example.com" })).toThrow(
      /METRICS_PORT=70000 is not a whole number from 0 to 65535[\s\S]*METRICS_HOST=http:\/\/example.com is not a host name or IP address/,
    );
  });
});

describe("the Docker engines gauge", () => {
  it("says which engine answers and which is down, as of each scrape", async () => {
    const metrics = new BotMetrics();
    const hosts = [
      { name: "unix:///var/run/docker.sock", up: true },
      { name: "tcp://sandbox-2.internal:2376", up: false },
    ];
    dockerHostsGauge(metrics.registry, () => hosts);
    let text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_sandbox_docker_host_up{host="unix:///var/run/docker.sock"}')).toBe(1);
    expect(text.get('cib_sandbox_docker_host_up{host="tcp://sandbox-2.internal:2376"}')).toBe(0);
    hosts[1] = { name: "tcp://sandbox-2.internal:2376", up: true };
    text = samplesOf((await metrics.expose()).body);
    expect(text.get('cib_sandbox_docker_host_up{host="tcp://sandbox-2.internal:2376"}')).toBe(1);
  });
});
