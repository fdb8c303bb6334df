// The shared frame of every rule: which resources it reads, exceptions from config, and "can't decide"
// when a value is unknown during preview.
import type { PolicyComplianceFramework, PolicyResource, ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { matches, who, withDefaults, type Exception } from "./config";
import type { McpPolicy } from "./meta";
import { CannotDecide, isUnknownValueError, type UnknownValueErrorInstance } from "./sdk";
import { dependenciesOf, stackWorkloads } from "./stack";
import { labels, workloadOf, type Workload } from "./workload";

export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Known<T> = T | typeof UNKNOWN;

// Collects what could not be read; finish() throws CannotDecide when something was unknown.
export class Reader {
  private first?: UnknownValueErrorInstance;
  private readonly unchecked: string[] = [];

  read<T>(what: string, get: () => T): Known<T> {
    try {
      return get();
    } catch (e) {
      if (!isUnknownValueError(e)) throw e;
      this.first ??= e;
      this.unchecked.push(`${what} (${e.message})`);
      return UNKNOWN;
    }
  }

  finish(): void {
    if (this.first) throw new CannotDecide(this.first, this.unchecked);
  }
}

export interface WorkloadContext<C> {
  workload: Workload;
  labels: Record<string, string>;
  // "service gmail (mcp-server)", or the resource name when unlabelled.
  subject: string;
  config: C;
  read: Reader["read"];
  violation(message: string): void;
  notApplicable(reason: string): never;
}

// What every rule declares about itself, resource and stack rules alike.
interface RuleMetadata<C> {
  name: string;
  description: string;
  severity: Severity;
  framework: PolicyComplianceFramework;
  remediationSteps: string;
  configSchema?: Record<string, PolicyConfigJSONSchema>;
  defaults: C;
}

// The stack's view of one workload, for what its own check could not know during preview: which resources
// a property was computed from, and those resources' declared inputs.
export interface StackWorkloadContext<C> extends Omit<WorkloadContext<C>, "notApplicable"> {
  resource: PolicyResource;
  resources: PolicyResource[];
  dependencies(property: string): PolicyResource[];
}

export interface WorkloadRule<C extends { exceptions: Exception[] }> extends RuleMetadata<C> {
  // "whole": an exception exempts the workload from this rule. "custom": the rule reads exceptions itself
  // (e.g. an exception that grants one capability).
  exceptions?: "whole" | "custom";
  check(ctx: WorkloadContext<C>): void;
  // Judges, over the whole stack, what `check` left to it: values unknown during preview that another
  // resource computes (a generated password), judged by that resource's declared inputs.
  stack?(ctx: StackWorkloadContext<C>): void;
}

// A rule's metadata in the form the pack lists it.
function metadata(rule: RuleMetadata<unknown>) {
  return {
    name: rule.name,
    description: rule.description,
    severity: rule.severity,
    framework: rule.framework,
    remediationSteps: rule.remediationSteps,
    configSchema: rule.configSchema ? { properties: rule.configSchema } : undefined,
  };
}

export function workloadPolicy<C extends { exceptions: Exception[] }>(rule: WorkloadRule<C>): McpPolicy {
  return {
    ...metadata(rule),
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      const workload = workloadOf(args.type, args.props);
      if (!workload) return;
      const config = withDefaults(rule.defaults, args.getConfig<Partial<C>>());
      const reader = new Reader();
      const l = reader.read("labels", () => labels(workload));
      if (l === UNKNOWN) return reader.finish();
      if ((rule.exceptions ?? "whole") === "whole" && config.exceptions.some((e) => matches(e, l))) return;
      rule.check({
        workload,
        labels: l,
        subject: who(l, args.name),
        config,
        read: reader.read.bind(reader),
        violation: (m) => report(m),
        notApplicable: (reason) => args.notApplicable(reason),
      });
      reader.finish();
    },
    ...(rule.stack ? { validateStack: (args: StackValidationArgs, report: ReportViolation) => stackHalf(rule, args, report) } : {}),
  };
}

function stackHalf<C extends { exceptions: Exception[] }>(rule: WorkloadRule<C>, args: StackValidationArgs, report: ReportViolation): void {
  const config = withDefaults(rule.defaults, args.getConfig<Partial<C>>());
  const reader = new Reader();
  for (const w of stackWorkloads(args.resources, reader.read.bind(reader))) {
    if ((rule.exceptions ?? "whole") === "whole" && config.exceptions.some((e) => matches(e, w.labels))) continue;
    rule.stack!({
      workload: w.workload,
      labels: w.labels,
      subject: who(w.labels, w.resource.name),
      config,
      read: reader.read.bind(reader),
      violation: (m) => report(m, w.resource.urn),
      resource: w.resource,
      resources: args.resources,
      dependencies: (property) => dependenciesOf(w.resource, property),
    });
  }
  reader.finish();
}

export interface StackRule<C extends object> extends RuleMetadata<C> {
  check(args: StackValidationArgs, ctx: { config: C; read: Reader["read"]; report: ReportViolation }): void;
}

export function stackPolicy<C extends object>(rule: StackRule<C>): McpPolicy {
  return {
    ...metadata(rule),
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const reader = new Reader();
      rule.check(args, { config: withDefaults(rule.defaults, args.getConfig<Partial<C>>()), read: reader.read.bind(reader), report });
      reader.finish();
    },
  };
}
