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

export function resourcesOf(ev: Evaluation): TestResource[] {
  return ev.resources
    .filter((r) => r.type.startsWith("docker:") || r.type.startsWith("random:"))
    .map((r) => ({ type: r.type, name: r.name, props: reveal(r.inputs) as Record<string, unknown> }));
}

export const runPack = (resources: TestResource[], env: "dev" | "prod"): Promise<Result> => runPolicies(policies, resources, packConfig(env));

// What the pack says while the backup (issue 5) and gateway (issue 4) don't exist yet.
export const NOT_APPLICABLE_YET = ["backup-covers-stateful-volumes", "mcp-behind-rate-limit"];
