// Policy metadata in the style of pulumi/compliance-policies: each policy names the benchmark item it
// implements (CIS Docker Benchmark 1.6 section 5, a KICS docker-compose query, or a runbook section).
import type { PolicyComplianceFramework, ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";

export type McpPolicy = (ResourceValidationPolicy | StackValidationPolicy) & {
  severity: Severity;
  framework: PolicyComplianceFramework;
  remediationSteps: string;
};

// CIS items as numbered by docker/docker-bench-security (tests/5_container_runtime.sh); KICS queries by title.
export function cis(items: string, kics?: string): PolicyComplianceFramework {
  return {
    name: "CIS Docker Benchmark",
    version: "1.6.0",
    reference: `CIS ${items}`,
    specification: kics ? `KICS docker-compose: ${kics}` : "",
  };
}

export function runbook(section: string, also?: string): PolicyComplianceFramework {
  return { name: "mcp-platform operations runbook", version: "1", reference: `runbook: ${section}`, specification: also ?? "" };
}

export function benchmarkOf(p: McpPolicy): string {
  return [p.framework.reference, p.framework.specification].filter(Boolean).join("; ");
}
