import { workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { readOnly } from "../lib/workload";

export const readOnlyRootFilesystem = workloadPolicy<{ exceptions: Exception[] }>({
  name: "read-only-root-filesystem",
  description: "Containers run on a read-only root filesystem; writable paths are volumes or tmpfs.",
  severity: "medium",
  framework: cis("5.13"),
  remediationSteps:
    "Set readOnly: true and give the paths the process writes a volume or a tmpfs (services.<name>.tmpfs). An image that can't run so gets an exception naming the service and the reason.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    if (read("readOnly", () => readOnly(workload)) === false)
      violation(`${subject} has a writable root filesystem. Set readOnly: true and mount a tmpfs or a volume where it writes, or grant an exception with the reason.`);
  },
});
