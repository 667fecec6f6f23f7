import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Worker-thread tests oversubscribe a 2-core machine on purpose; keep files sequential.
    fileParallelism: false,
  },
});
