// The end-to-end suite (npm run test:e2e): the real Pulumi engine, plugins and a real Docker engine. One
// file at a time (they share the engine), with the timeouts of real deployments.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    // Every file runs by default (backups and Swarm about 10 minutes each here); npm run test:e2e:backup
    // and test:e2e:swarm run one alone.
    globalSetup: ["test/e2e/setup.ts"],
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 20 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
