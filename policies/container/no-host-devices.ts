import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { devices } from "../lib/workload";

export const noHostDevices = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-host-devices",
  description: "No host device is exposed to a container.",
  severity: "high",
  framework: cis("5.18"),
  remediationSteps: "Remove devices (and gpus) from the container.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const ds = read("devices", () => devices(workload));
    if (ds !== UNKNOWN && ds.length) violation(`${subject} is given host devices (${ds.join(", ")}). Remove them.`);
  },
});
