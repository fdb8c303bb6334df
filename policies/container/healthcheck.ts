import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { healthcheck as healthcheckOf } from "../lib/workload";

export const healthcheck = workloadPolicy<{ exceptions: Exception[] }>({
  name: "healthcheck",
  description: "Containers declare a healthcheck (the declaration can't see an image's HEALTHCHECK).",
  severity: "medium",
  framework: cis("5.27", "Healthcheck Not Set"),
  remediationSteps: "Give the workload a healthcheck (a command that fails when the service is unhealthy); the shared defaults take it from the WorkloadSpec.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const tests = read("healthcheck", () => healthcheckOf(workload));
    if (tests === UNKNOWN) return;
    if (tests.length === 0 || tests[0]?.toUpperCase() === "NONE")
      violation(`${subject} has no healthcheck, so Docker and pulumi up can't tell a hung service from a healthy one. Declare one (e.g. ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:<port>/health"]).`);
  },
});
