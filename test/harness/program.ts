// Runs the real program (index.ts) under Pulumi's mocks and records every resource it declares.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { fakeSecrets, ROOT, stackConfig } from "./stack-files";

export interface DeclaredResource {
  type: string;
  name: string;
  // Inputs as the engine receives them; secret values are wrapped (see isSecretValue).
  inputs: Record<string, unknown>;
  urn: string;
  // Names of the resources it depends on (dependsOn and inputs taken from other resources).
  dependsOn: string[];
  // Top-level input -> names of the resources it was computed from.
  propertyDependencies: Record<string, string[]>;
  // The provider reference it was registered with (`<urn>::<id>`); unset for the default provider.
  provider?: string;
  // Its protect option: a destroy leaves it in place.
  protect: boolean;
  // Its ignoreChanges option: inputs whose change the engine does not act on.
  ignoreChanges: string[];
  // Its deleteBeforeReplace option: a replacement deletes the old resource before creating the new.
  deleteBeforeReplace: boolean;
}

// What a registration request tells that the mocks' newResource does not see.
interface Registration {
  all: string[];
  byProperty: Record<string, string[]>;
  protect: boolean;
  ignoreChanges: string[];
  deleteBeforeReplace: boolean;
}

export interface Evaluation {
  resources: DeclaredResource[];
  outputs: Record<string, unknown>;
  // Same resources as the mocks return them from the state (for policy tests).
  byType(type: string): DeclaredResource[];
  // Evaluated as in `pulumi preview`: what providers compute is unknown.
  preview: boolean;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

// Removes secret wrappers, to read the values the way the provider would.
export function reveal(v: unknown): unknown {
  if (isSecretValue(v)) return reveal((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(reveal);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

// A stand-in ai-PA checkout: the build contexts the stacks name must exist.
export function fixtureSourceRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ai-PA-"));
  for (const sub of ["gmail-mcp", "rag-mcp", "health-monitor"]) {
    fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, sub, "Dockerfile"), "FROM node:20-slim\n");
  }
  return dir;
}

const fakeHex = (seed: string) => Buffer.from(seed).toString("hex").padEnd(64, "0").slice(0, 64);

// What providers compute and the mocks must supply: names, ids, generated passwords.
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      return { result: `generated-${name}-Zq8x1Lr4Vb7Nc0Kw` };
    // As the provider reports them: a pulled image has a repo digest, one built on the host has none.
    case "docker:index/remoteImage:RemoteImage":
      return {
        imageId: `sha256:${fakeHex(name)}`,
        repoDigest: inputs.build ? "" : `${String(inputs.name).replace(/@.*$/, "").replace(/:[^/:]+$/, "")}@sha256:${fakeHex(`digest-${name}`)}`,
      };
    case "docker:index/registryImage:RegistryImage":
      return { sha256Digest: `sha256:${fakeHex(`pushed-${name}`)}` };
    case "docker:index/container:Container":
      return { name: inputs.name ?? `${name}-1a2b3c4`, exitCode: 0 };
    default:
      return { name: inputs.name ?? name };
  }
}

export interface EvaluateOptions {
  // Extra or replaced config entries (`mcp-platform:key` -> string).
  config?: Record<string, string>;
  secrets?: Record<string, string>;
  preview?: boolean;
}

// Evaluate index.ts for a stack file. Call once per test file: the Pulumi runtime is per process.
export async function evaluateStack(stack: string, opts: EvaluateOptions = {}): Promise<Evaluation> {
  const secrets = opts.secrets ?? fakeSecrets(stack);
  const config = {
    ...stackConfig(stack),
    "mcp-platform:sourceRoot": fixtureSourceRoot(),
    ...opts.config,
    ...secrets,
  };
  pulumi.runtime.setAllConfig(config, Object.keys(secrets));
  // The program asks the Docker engine for its API version; under mocks there is none to ask.
  process.env.MCP_PLATFORM_DOCKER_API_VERSION ??= "1.45";
  const resources: DeclaredResource[] = [];
  const registrations = new Map<string, Registration>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // The docker provider names what the program leaves unnamed when it checks the inputs (autonaming), so
        // in a preview the name is known, and it is among the inputs the engine hands policies.
        const autoname = opts.preview && args.type.startsWith("docker:") && args.inputs.name === undefined;
        const inputs = { ...(args.inputs as Record<string, unknown>), ...(autoname ? { name: `${args.name}-1a2b3c4` } : {}) };
        const deps = registrations.get(`${args.type}::${args.name}`) ?? { all: [], byProperty: {}, protect: false, ignoreChanges: [], deleteBeforeReplace: false };
        resources.push({ type: args.type, name: args.name, inputs, urn: `${args.type}::${args.name}`, dependsOn: deps.all, propertyDependencies: deps.byProperty, provider: args.provider, protect: deps.protect, ignoreChanges: deps.ignoreChanges, deleteBeforeReplace: deps.deleteBeforeReplace });
        // In a preview, what the provider computes is not known yet: the mocks return the inputs alone, and the
        // SDK reads every missing output as unknown, as the engine does.
        if (opts.preview) return { id: "", state: { ...inputs } };
        return { id: `${args.name}-id`, state: { ...inputs, ...computedState(args.type, args.name, reveal(inputs) as Record<string, unknown>) } };
      },
      call(args) {
        return args.inputs as Record<string, unknown>;
      },
    },
    "mcp-platform",
    stack,
    opts.preview ?? false,
  );
  recordRegistrations(registrations);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const program = (await import(path.join(ROOT, "index.ts"))) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(value);
    // Wait for every registration the program started, not only those the outputs depend on.
    await settle(resources);
    return { resources, outputs, byType: (type) => resources.filter((r) => r.type === type), preview: opts.preview ?? false };
  } finally {
    process.chdir(cwd);
  }
}

// The mocks' newResource does not see a resource's dependencies or options; the registration request does.
// Mock URNs end in `::<name>`.
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
  getProtect(): boolean;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
}
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
function recordRegistrations(into: Map<string, Registration>): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, cb: unknown): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const byProperty: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      if (deps.getUrnsList().length) byProperty[key] = deps.getUrnsList().map(nameOf);
    });
    into.set(`${req.getType()}::${req.getName()}`, { all: req.getDependenciesList().map(nameOf), byProperty, protect: req.getProtect(), ignoreChanges: req.getIgnorechangesList(), deleteBeforeReplace: req.getDeletebeforereplace() });
    return register(req, cb);
  };
}

async function resolve(value: unknown): Promise<unknown> {
  // In a preview an output can be unknown, and apply never calls back: resolve it as undefined.
  if (pulumi.Output.isInstance(value)) {
    const known = await (value as unknown as { isKnown: Promise<boolean> }).isKnown;
    return known ? new Promise((res) => value.apply((v) => res(v))) : undefined;
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolve));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v)])));
  return value;
}

// Registrations outlive the outputs that do not depend on them: wait until none has arrived for 3 ticks.
async function settle(resources: DeclaredResource[]): Promise<void> {
  let stable = 0;
  let last = resources.length;
  while (stable < 3) {
    await new Promise((r) => setTimeout(r, 10));
    stable = resources.length === last ? stable + 1 : 0;
    last = resources.length;
  }
}

export { ROOT };
