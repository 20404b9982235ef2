import { describe, expect, it } from "vitest";
import { slackErrorKind } from "./slack-signals.ts";

describe("slackErrorKind", () => {
  it("names a failed call by Slack's error code, the HTTP status, or the network", () => {
    expect(
      slackErrorKind({ code: "slack_webapi_platform_error", data: { error: "channel_not_found" } }),
    ).toBe("channel_not_found");
    expect(slackErrorKind({ code: "slack_webapi_http_error", statusCode: 502 })).toBe("http_502");
    expect(slackErrorKind({ code: "slack_webapi_request_error" })).toBe("network");
    expect(slackErrorKind({ code: "slack_webapi_rate_limited_error" })).toBe("ratelimited");
    expect(slackErrorKind(new Error("boom"))).toBe("other");
    expect(slackErrorKind(null)).toBe("other");
  });

  it("never makes a metric label of untrusted text", () => {
    const odd = { code: "slack_webapi_platform_error", data: { error: 'x"} evil{label="1' } };
    expect(slackErrorKind(odd)).toBe("platform_error");
    expect(slackErrorKind({ code: "slack_webapi_platform_error", data: { error: "a".repeat(65) } })).toBe(
      "platform_error",
    );
  });
});
