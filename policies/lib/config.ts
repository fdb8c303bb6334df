// Policy config: each policy's settings, with defaults applied here (the SDK does not fill a schema's
// defaults), and exceptions, which name a service (its `service` label) or a component and say why.
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

export interface Exception {
  service?: string;
  component?: string;
  reason: string;
}

export const exceptionSchema: PolicyConfigJSONSchema = {
  type: "object",
  description: "Exempts the workloads with this `service` label (or `component` label) from the rule; `reason` says why.",
  properties: {
    service: { type: "string", minLength: 1 },
    component: { type: "string", minLength: 1 },
    reason: { type: "string", minLength: 10 },
  },
  required: ["reason"],
};

export const exceptionsProperty = (extra: Record<string, PolicyConfigJSONSchema> = {}): PolicyConfigJSONSchema => ({
  type: "array",
  items: { ...exceptionSchema, properties: { ...exceptionSchema.properties, ...extra } },
});

export function matches(e: Exception, l: Record<string, string>): boolean {
  if (!e.service && !e.component) return false;
  return (!e.service || e.service === l.service) && (!e.component || e.component === l.component);
}

// Config given to a policy, over its defaults; an exception without a reason is ignored, not honoured.
export function withDefaults<T extends object>(defaults: T, given: object): T {
  const merged = { ...defaults, ...given } as T & { exceptions?: Exception[] };
  if (Array.isArray(merged.exceptions))
    merged.exceptions = merged.exceptions.filter((e) => typeof e.reason === "string" && e.reason.trim().length > 0);
  return merged;
}

// A label's name in messages: "service gmail (mcp-server)".
export function who(l: Record<string, string>, fallback: string): string {
  return l.service ? `service ${l.service}${l.component ? ` (${l.component})` : ""}` : fallback;
}
