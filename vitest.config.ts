import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "adapters/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one Docker engine on a 2-core machine; files run one at a time.
    fileParallelism: false,
  },
});
