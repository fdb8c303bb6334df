// The end-to-end suite (npm run test:e2e): the real Pulumi engine, plugins and a real Docker engine. One
// file at a time (they share the engine), with the timeouts of real deployments.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    // Every file runs by default: the backups file (about 10 minutes here) and the three-node Swarm file
    // (about 8-9 minutes) included; npm run test:e2e:backup and test:e2e:swarm run either alone.
    globalSetup: ["test/e2e/setup.ts"],
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 20 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
