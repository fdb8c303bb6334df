// Runs policies the way @pulumi/policy's server does (node_modules/@pulumi/policy/server.js): props wrapped
// in unknownCheckingProxy, config per policy (enforcementLevel removed), "all" as the default level,
// UnknownValueError turned into an advisory "can't run … during preview", notApplicable recorded, and
// reportViolation's string and object forms. Configure can't be reached through the SDK's exported
// functions, so this mirrors them; test/policies/pack.test.ts checks the mirror against the running pack.
import type { PolicyResource, PolicyResourceOptions, ReportViolation, ResourceValidation, StackValidationPolicy } from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";
import type { McpPolicy } from "../../policies/lib/meta";
import { isUnknownValueError, unknownCheckingProxy } from "../../policies/lib/sdk";

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";
export type PackConfig = Record<string, Level | ({ enforcementLevel?: Level } & Record<string, unknown>)>;

export interface Diagnostic {
  policy: string;
  message: string;
  level: Level;
  urn?: string;
}
export interface Result {
  diagnostics: Diagnostic[];
  notApplicable: { policy: string; reason?: string }[];
  // Shorthands.
  violations: Diagnostic[];
  mandatory: Diagnostic[];
  advisories: Diagnostic[];
  messages: string[];
}

export interface TestResource {
  type: string;
  name: string;
  // Inputs, as the engine hands them to resource checks (validateResource).
  props: Record<string, unknown>;
  // Planned outputs, as the engine hands them to stack checks (validateStack); the inputs when absent.
  outputs?: Record<string, unknown>;
  // Top-level property -> names of the resources it was computed from (stack checks only).
  propertyDependencies?: Record<string, string[]>;
}

// The engine's sentinels for values unknown during preview.
const sentinels = proxyModule as unknown as Record<string, string>;
export const UNKNOWN_STRING = sentinels.unknownStringValue!;
export const UNKNOWN_NUMBER = sentinels.unknownNumberValue!;
export const UNKNOWN_BOOLEAN = sentinels.unknownBooleanValue!;
export const UNKNOWN_ARRAY = sentinels.unknownArrayValue!;
export const UNKNOWN_OBJECT = sentinels.unknownObjectValue!;

class NotApplicable extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}

function levelOf(p: McpPolicy, config: PackConfig): Level {
  const c = config[p.name];
  const own = typeof c === "string" ? c : c?.enforcementLevel;
  const all = typeof config.all === "string" ? config.all : undefined;
  const level = own ?? all ?? p.enforcementLevel ?? "advisory";
  return level === "remediate" ? "mandatory" : level;
}

function configOf(p: McpPolicy, config: PackConfig): Record<string, unknown> {
  const c = config[p.name];
  if (!c || typeof c === "string") return {};
  const { enforcementLevel: _, ...rest } = c;
  return structuredClone(rest);
}

const OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};
const clone = (v: unknown) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
const urnOf = (r: TestResource) => `urn:pulumi:test::mcp-platform::${r.type}::${r.name}`;

function collector(p: McpPolicy, level: Level, out: Diagnostic[]): ReportViolation {
  return ((message: string | { message?: string; enforcementLevel?: Level; urn?: string }, urn?: string) => {
    if (typeof message === "object")
      out.push({ policy: p.name, message: message.message ?? p.description, level: message.enforcementLevel ?? level, urn: message.urn });
    else out.push({ policy: p.name, message: message ? `${p.description}\n${message}` : p.description, level, urn });
  }) as ReportViolation;
}

function outcome(diagnostics: Diagnostic[], notApplicable: Result["notApplicable"]): Result {
  const violations = diagnostics.filter((d) => !d.message.startsWith("can't run policy"));
  return {
    diagnostics,
    notApplicable,
    violations,
    mandatory: diagnostics.filter((d) => d.level === "mandatory"),
    advisories: diagnostics.filter((d) => d.level === "advisory"),
    messages: diagnostics.map((d) => d.message),
  };
}

async function guard(p: McpPolicy, out: Diagnostic[], na: Result["notApplicable"], run: () => unknown, urn?: string): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (isUnknownValueError(e))
      out.push({ policy: p.name, level: "advisory", message: `can't run policy '${p.name}' from policy pack 'mcp-platform@v0.1.0' during preview: ${e.message}`, ...(urn ? { urn } : {}) });
    else if (e instanceof NotApplicable) na.push({ policy: p.name, reason: e.reason });
    else throw e;
  }
}

export async function runPolicies(policies: McpPolicy[], resources: TestResource[], config: PackConfig = {}): Promise<Result> {
  const diagnostics: Diagnostic[] = [];
  const notApplicable: Result["notApplicable"] = [];
  for (const p of policies) {
    const level = levelOf(p, config);
    if (level === "disabled") continue;
    const report = collector(p, level, diagnostics);
    const getConfig = <T extends object>() => configOf(p, config) as T;
    const notApplicableFn = (reason?: string): never => {
      throw new NotApplicable(reason);
    };
    if ("validateResource" in p && p.validateResource) {
      const validations = ([] as unknown[]).concat(p.validateResource) as ResourceValidation[];
      for (const r of resources)
        for (const validate of validations) {
          // A resource's violations always carry its own URN.
          const reportHere = ((m: string | object) => (typeof m === "object" ? report({ ...m, urn: urnOf(r) } as never) : report(m, urnOf(r)))) as ReportViolation;
          await guard(p, diagnostics, notApplicable, () =>
            validate(
              {
                type: r.type,
                props: unknownCheckingProxy(clone(r.props)),
                urn: urnOf(r),
                name: r.name,
                opts: OPTS,
                stackTags: new Map(),
                isType: () => false,
                asType: () => undefined,
                getConfig,
                notApplicable: notApplicableFn,
              },
              reportHere,
            ),
            urnOf(r),
          );
        }
    }
    if ("validateStack" in p && (p as StackValidationPolicy).validateStack) {
      const stackResources: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        props: unknownCheckingProxy(clone(r.outputs ?? r.props)),
        urn: urnOf(r),
        name: r.name,
        opts: OPTS,
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
      }));
      // Dependencies point at the resource objects themselves, as the SDK's server links them.
      const byName = new Map(stackResources.map((r) => [r.name, r]));
      resources.forEach((r, i) => {
        // A dependency the test does not declare stands for some other resource of the stack.
        const resolve = (n: string): PolicyResource =>
          byName.get(n) ?? { type: "test:index:Other", name: n, urn: `urn:pulumi:test::mcp-platform::test:index:Other::${n}`, props: {}, opts: OPTS, dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined };
        const deps = Object.entries(r.propertyDependencies ?? {}).map(([k, names]) => [k, names.map(resolve)] as const);
        stackResources[i]!.propertyDependencies = Object.fromEntries(deps);
        stackResources[i]!.dependencies = [...new Set(deps.flatMap(([, rs]) => rs))];
      });
      await guard(p, diagnostics, notApplicable, () =>
        (p as StackValidationPolicy).validateStack({ resources: stackResources, stackTags: new Map(), getConfig, notApplicable: notApplicableFn }, report),
      );
    }
  }
  return outcome(diagnostics, notApplicable);
}

export const runPolicy = (p: McpPolicy, resources: TestResource | TestResource[], config: Record<string, unknown> = {}, level: Level = "mandatory") =>
  runPolicies([p], ([] as TestResource[]).concat(resources), { [p.name]: { enforcementLevel: level, ...config } });
