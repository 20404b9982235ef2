import { describe, expect, it } from "vitest";
import { isLoopbackHost, isSameOrigin, safeEqual, sessionValue } from "./web-auth.ts";
import { isLoopback } from "./web-config.ts";

describe("web access checks", () => {
  it("compares secrets exactly, whatever their lengths", () => {
    expect(safeEqual("secret-token-123", "secret-token-123")).toBe(true);
    expect(safeEqual("secret-token-12", "secret-token-123")).toBe(false);
    expect(safeEqual("", "secret-token-123")).toBe(false);
  });

  it("derives the cookie from the token without containing it", () => {
    expect(sessionValue("secret-token-123")).toBe(sessionValue("secret-token-123"));
    expect(sessionValue("secret-token-123")).not.toContain("secret");
    expect(sessionValue("secret-token-124")).not.toBe(sessionValue("secret-token-123"));
  });

  it("knows loopback addresses and host names", () => {
    for (const host of ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"])
      expect(isLoopback(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) expect(isLoopback(host)).toBe(false);
    expect(isLoopbackHost("127.0.0.1:8080")).toBe(true);
    expect(isLoopbackHost("[::1]:8080")).toBe(true);
    expect(isLoopbackHost("localhost")).toBe(true);
    expect(isLoopbackHost("localhost.evil.example:8080")).toBe(false);
    expect(isLoopbackHost(undefined)).toBe(false);
  });

  it("matches an Origin to the Host it was sent to", () => {
    expect(isSameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080")).toBe(true);
    expect(isSameOrigin("http://evil.example", "127.0.0.1:8080")).toBe(false);
    expect(isSameOrigin("http://127.0.0.1:9999", "127.0.0.1:8080")).toBe(false);
    expect(isSameOrigin("null", "127.0.0.1:8080")).toBe(false);
  });
});
