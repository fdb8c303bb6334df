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

// The committed prod stack pins every image by a placeholder digest (see Pulumi.prod.yaml): the pack
// checks the form, a digest, which is what a user's real digests have too.
export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;
