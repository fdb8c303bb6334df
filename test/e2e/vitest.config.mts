// The end-to-end suite (npm run test:e2e): the real Pulumi engine, plugins and a real Docker engine. One
// file at a time (they share the engine), with the timeouts of real deployments.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    // The backups file (about 10 minutes here) runs by default; npm run test:e2e:backup runs it alone.
    // The three-node Swarm file is out of the default run again (npm run test:e2e:swarm): its start-first
    // update of graphiti lost 0, 1 and 10 requests in three runs on 3 December (no graphiti replica in
    // either gateway for a moment, and graphiti's server does not drain). It rejoins once that passes.
    exclude: process.env.MCP_E2E_SWARM ? [] : ["test/e2e/swarm.e2e.ts"],
    globalSetup: ["test/e2e/setup.ts"],
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 20 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
