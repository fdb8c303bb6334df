// The real program's resources (test/harness/program.ts), handed to the pack as the engine would:
// secret values unwrapped (the SDK deserializes them to plain values for policies), inputs as props.
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policies/policies";
import { reveal, ROOT, type Evaluation } from "../harness/program";
import { runPolicies, type PackConfig, type Result, type TestResource } from "../harness/policy";

export function packConfig(env: "dev" | "prod"): PackConfig {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "config", `${env}.json`), "utf8")) as PackConfig;
}

// Stack rules see outputs, where the provider has named what the program left unnamed (Swarm configs and
// secrets): the mocks name them after the resource (test/harness/program.ts), and so does this.
const PROVIDER_NAMED = ["docker:index/serviceConfig:ServiceConfig", "docker:index/secret:Secret"];

export function resourcesOf(ev: Evaluation): TestResource[] {
  return ev.resources
    .filter((r) => r.type.startsWith("docker:") || r.type.startsWith("random:"))
    .map((r) => {
      const props = reveal(r.inputs) as Record<string, unknown>;
      if (PROVIDER_NAMED.includes(r.type) && props.name === undefined) props.name = r.name;
      return { type: r.type, name: r.name, props };
    });
}

export const runPack = (resources: TestResource[], env: "dev" | "prod"): Promise<Result> => runPolicies(policies, resources, packConfig(env));

// What the pack says while the backup (issue 5) does not exist yet; the gateway (issue 4) is checked for real.
export const NOT_APPLICABLE_YET = ["backup-covers-stateful-volumes"];

// Pulumi.prod.yaml names its images by tag and says to replace them with digests; the prod policy config
// requires digests, so the stack as committed is refused until that is done. This is how a user pins them.
export const DIGEST = `sha256:${"5e".repeat(32)}`;
export const PINNED = {
  "mcp-platform:neo4j": JSON.stringify({ image: `neo4j:5.26@${DIGEST}`, memoryMb: 4096, cpus: 2 }),
  "mcp-platform:services": JSON.stringify({
    gmail: { image: `registry.example.com/pa/gmail-mcp:1.1.11@${DIGEST}`, replicas: 2, memoryMb: 1024, cpus: 1 },
    graphiti: { image: `zepai/knowledge-graph-mcp:1.0.1-standalone@${DIGEST}`, replicas: 2, memoryMb: 2048, cpus: 2 },
    rag: { image: `registry.example.com/pa/rag-mcp:1.0.0@${DIGEST}`, replicas: 2, memoryMb: 1024, cpus: 1 },
  }),
  "mcp-platform:healthMonitor": JSON.stringify({ image: `registry.example.com/pa/health-monitor:1.0.0@${DIGEST}`, memoryMb: 256, cpus: 0.5 }),
};
