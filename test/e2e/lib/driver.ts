// One Pulumi operation of the end-to-end suite, in a process of its own (the Pulumi runtime keeps global
// state per process, and each operation must evaluate the program afresh). The program runs inline
// through the Automation API, as the CLI would run index.ts: the nodejs language host built here (3.68)
// cannot run a policy pack, and without one the CLI runs the pack through pulumi-analyzer-policy-nodejs.
//   tsx driver.ts '{"op":"up","stack":"…","workDir":"…","policyConfig":"dev"}'
// Prints progress, then one line `E2E-RESULT <json>`.
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type EngineEvent } from "@pulumi/pulumi/automation";
import { FileAsset, programFromState, Secret, TextAsset, type ExportedResource, type Value } from "./from-state";

export interface DriverRequest {
  op: "preview" | "up" | "destroy" | "refresh";
  stack: string;
  workDir: string;
  // Run the policy pack with policies/config/<policyConfig>.json, or with this file when it ends in .json.
  policyConfig?: string;
  expectNoChanges?: boolean;
  // Resource URNs to target (up/destroy).
  target?: string[];
  // destroy: leave protected resources (and what they need) in place.
  excludeProtected?: boolean;
  // The program: the platform (index.ts, the default), or one that only sets up the platform's providers
  // (docker on the stack's dockerHost, random, command) and declares nothing: the floor a no-op preview
  // of the platform is compared with. Or `same-resources`: every resource of `stateFile` (an export of the
  // stack with --show-secrets) declared again directly (lib/from-state.ts).
  program?: "platform" | "providers-only" | "same-resources";
  stateFile?: string;
  // Write the engine's trace to this file (preview and up): where a preview's time goes.
  tracing?: string;
}

export interface PolicyFinding {
  policy: string;
  level: string;
  message: string;
  urn?: string;
}

export interface DriverResult {
  ok: boolean;
  error?: string;
  // Operation -> count (create, update, replace, delete, same...).
  changes: Record<string, number>;
  // Steps that were not `same`, as "op type::name".
  steps: string[];
  policy: PolicyFinding[];
  // Warnings and errors the program and the engine reported (diagnostics), as "severity: message".
  diagnostics: string[];
  outputs: Record<string, { value: unknown; secret: boolean }>;
  seconds: number;
  // Seconds from the driver's start: when the program started and finished running (the rest is the
  // CLI's start, the engine and the providers).
  program?: { start: number; end: number };
}

const ROOT = path.resolve(__dirname, "../../..");

// What the engine reported, kept also when the operation fails (a policy violation fails a preview).
const policy: PolicyFinding[] = [];
const steps: string[] = [];
const diagnostics: string[] = [];
const started = Date.now();
let programTimes: { start: number; end: number } | undefined;
const since = () => (Date.now() - started) / 1000;

async function main(req: DriverRequest): Promise<DriverResult> {
  const run =
    req.program === "providers-only"
      ? providersOnly
      : req.program === "same-resources"
        ? () => sameResources(req.stateFile ?? "")
        : async () => {
            const exports = (await import(path.join(ROOT, "index.ts"))) as Record<string, unknown>;
            return { ...exports };
          };
  const program = async () => {
    const start = since();
    const out = await run();
    programTimes = { start, end: since() };
    return out;
  };
  const stack = await LocalWorkspace.selectStack({ stackName: req.stack, projectName: "mcp-platform", program }, { workDir: req.workDir });
  const onEvent = (e: EngineEvent) => {
    if (e.diagnosticEvent && (e.diagnosticEvent.severity === "warning" || e.diagnosticEvent.severity === "error"))
      diagnostics.push(`${e.diagnosticEvent.severity}: ${e.diagnosticEvent.message.trim()}`);
    if (e.policyEvent)
      policy.push({ policy: e.policyEvent.policyName, level: e.policyEvent.enforcementLevel, message: e.policyEvent.message, urn: e.policyEvent.resourceUrn });
    const m = e.resourcePreEvent?.metadata;
    if (m && m.op !== "same") steps.push(`${m.op} ${m.type}::${m.urn.split("::").pop()}${m.diffs?.length ? ` (${m.diffs.join(",")})` : ""}`);
  };
  const packs = req.policyConfig
    ? { policyPacks: [path.join(ROOT, "policies")], policyPackConfigs: [req.policyConfig.endsWith(".json") ? req.policyConfig : path.join(ROOT, "policies/config", `${req.policyConfig}.json`)] }
    : {};
  const onOutput = (s: string) => process.stdout.write(s);
  const common = { onOutput, onEvent, color: "never" as const, target: req.target, ...(req.tracing ? { tracing: `file://${req.tracing}` } : {}) };
  let changes: Record<string, number> = {};
  switch (req.op) {
    case "preview": {
      const r = await stack.preview({ ...common, ...packs, expectNoChanges: req.expectNoChanges, diff: true });
      changes = r.changeSummary as Record<string, number>;
      break;
    }
    case "up": {
      const r = await stack.up({ ...common, ...packs, expectNoChanges: req.expectNoChanges, diff: true });
      changes = (r.summary.resourceChanges ?? {}) as Record<string, number>;
      break;
    }
    case "destroy": {
      const r = await stack.destroy({ onOutput, onEvent, color: "never", target: req.target, excludeProtected: req.excludeProtected });
      changes = (r.summary.resourceChanges ?? {}) as Record<string, number>;
      break;
    }
    case "refresh": {
      const r = await stack.refresh({ onOutput, onEvent, color: "never" });
      changes = (r.summary.resourceChanges ?? {}) as Record<string, number>;
      break;
    }
  }
  const outputs = req.op === "destroy" ? {} : await stack.outputs();
  return { ok: true, changes, steps, policy, diagnostics, outputs, seconds: since(), program: programTimes };
}

async function providersOnly(): Promise<Record<string, unknown>> {
  const [pulumi, docker, random, command] = await Promise.all([import("@pulumi/pulumi"), import("@pulumi/docker"), import("@pulumi/random"), import("@pulumi/command")]);
  const host = new pulumi.Config("mcp-platform").require("dockerHost");
  new docker.Provider("docker", { host });
  new random.Provider("random");
  new command.Provider("command");
  return {};
}

async function sameResources(stateFile: string): Promise<Record<string, unknown>> {
  const pulumi = await import("@pulumi/pulumi");
  const exported = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { deployment: { resources: ExportedResource[] } };
  const { declarations, outputs } = programFromState(exported.deployment.resources);
  const input = (v: Value): unknown => {
    if (v instanceof Secret) return pulumi.secret(input(v.value));
    if (v instanceof TextAsset) return new pulumi.asset.StringAsset(v.text);
    if (v instanceof FileAsset) return new pulumi.asset.FileAsset(v.path);
    if (Array.isArray(v)) return v.map(input);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, input(x)]));
    return v;
  };
  const inputs = (o: Record<string, Value>) => input(o) as Record<string, unknown>;
  // The SDK's classes are abstract: each package's generated classes extend them just like this.
  class Custom extends pulumi.CustomResource {}
  class Provider extends pulumi.ProviderResource {}
  const made = new Map<string, InstanceType<typeof pulumi.Resource>>();
  for (const d of declarations) {
    const opts = { parent: d.parent ? made.get(d.parent) : undefined, protect: d.protect };
    let r: InstanceType<typeof pulumi.Resource>;
    if (d.kind === "component") r = new pulumi.ComponentResource(d.type, d.name, {}, opts);
    else if (d.kind === "provider") r = new Provider(d.pkg!, d.name, inputs(d.inputs), { ...opts, version: d.version });
    else {
      const provider = d.provider && "urn" in d.provider ? { provider: made.get(d.provider.urn) as Provider } : { version: d.provider?.defaultVersion };
      r = new Custom(d.type, d.name, inputs(d.inputs), { ...opts, ...provider, ...(d.readId ? { id: d.readId } : {}) });
    }
    made.set(d.urn, r);
  }
  return inputs(outputs);
}

// An Automation API error carries the whole run's output; keep the CLI's own error lines.
function briefly(message: string): string {
  const cut = message.indexOf("\nUpdating (");
  return (cut > 0 ? message.slice(0, cut) : message).slice(0, 6000);
}

if (require.main === module) {
  const req = JSON.parse(process.argv[2] ?? "{}") as DriverRequest;
  // Exit only once the result is written: a pipe takes a large write in several pieces.
  const finish = (r: DriverResult) => process.stdout.write(`\nE2E-RESULT ${JSON.stringify(r)}\n`, () => process.exit(0));
  main(req)
    .then(finish)
    .catch((e: unknown) => finish({ ok: false, error: briefly((e as Error).message), changes: {}, steps, policy, diagnostics, outputs: {}, seconds: since(), program: programTimes }));
}
