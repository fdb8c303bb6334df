import { defineConfig } from "vitest/config";
import SummaryReporter from "./test/harness/summary-reporter";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file gets its own process: the Pulumi runtime keeps global state per process.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", new SummaryReporter()],
  },
});
