// The real program's resources (test/harness/program.ts), handed to the pack as the engine would:
// secret values unwrapped (the SDK deserializes them to plain values for policies), inputs as props.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { isUnknown } from "@pulumi/pulumi/output";
import { policies } from "../../policies/policies";
import { reveal, ROOT, type Evaluation } from "../harness/program";
import { UNKNOWN_STRING, runPolicies, type PackConfig, type Result, type TestResource } from "../harness/policy";
import { computedOutputs } from "./provider-types";

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
      const props = reveal(engineValue(r.inputs)) as Record<string, unknown>;
      if (PROVIDER_NAMED.includes(r.type) && props.name === undefined) props.name = r.name;
      // The Terraform bridge keeps a resource's ID among its outputs (`id`), which a Swarm service's
      // networks refer to; the mocks give `<name>-id` (test/harness/program.ts). Unknown in a preview.
      if (r.type.startsWith("docker:") && !ev.preview) props.id = `${r.name}-id`;
      return { type: r.type, name: r.name, props, outputs: ev.preview ? plannedOutputs(r.type, props) : undefined, propertyDependencies: r.propertyDependencies };
    });
}

// The SDK's unknown (a preview's value computed from another resource's output) as the engine sends it to
// a policy pack: its unknown sentinel.
function engineValue(v: unknown): unknown {
  if (pulumi.Output.isInstance(v) || isUnknown(v)) return UNKNOWN_STRING;
  if (Array.isArray(v)) return v.map(engineValue);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, engineValue(x)]));
  return v;
}

// What the provider plans for a resource in a preview, as the engine hands stack policies: the inputs, with
// every field it computes and the program left unset unknown, and a list holding an unknown element unknown
// as a whole (the Terraform bridge plans lists whole). Seen so on the real engine (docker provider 5.2.0).
const COMPUTED: Record<string, string[]> = {
  "docker:index/container:Container": computedOutputs("container.d.ts", "Container"),
  "docker:index/service:Service": computedOutputs("service.d.ts", "Service"),
  "docker:index/network:Network": computedOutputs("network.d.ts", "Network"),
  "docker:index/volume:Volume": computedOutputs("volume.d.ts", "Volume"),
  "docker:index/remoteImage:RemoteImage": computedOutputs("remoteImage.d.ts", "RemoteImage"),
};
function plannedOutputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) out[k] = Array.isArray(v) && v.includes(UNKNOWN_STRING) ? UNKNOWN_STRING : v;
  for (const k of COMPUTED[type] ?? []) if (out[k] === undefined) out[k] = UNKNOWN_STRING;
  return out;
}

export const runPack = (resources: TestResource[], env: "dev" | "prod"): Promise<Result> => runPolicies(policies, resources, packConfig(env));

// The committed prod stack pins every image by a placeholder digest (see Pulumi.prod.yaml): the pack
// checks the form, a digest, which is what a user's real digests have too.
export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;
