// The end-to-end suite (npm run test:e2e): the real Pulumi engine, plugins and a real Docker engine. One
// file at a time (they share the engine), with the timeouts of real deployments.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    // The three-node Swarm file is in the default run (about 8-9 minutes here); npm run test:e2e:swarm runs
    // it alone.
    // The backups file (restic against the real Neo4j) takes about 25 minutes here and its scheduled-drill
    // test does not pass yet: npm run test:e2e:backup, until both are fixed.
    exclude: process.env.MCP_E2E_BACKUP ? [] : ["test/e2e/backup.e2e.ts"],
    globalSetup: ["test/e2e/setup.ts"],
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 20 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
