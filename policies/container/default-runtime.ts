import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { runtime } from "../lib/workload";

// A container's runtime decides how it is isolated: another OCI runtime may inject devices or run
// unconfined; a Swarm task of runtime "plugin" runs a managed plugin with the privileges it asks for.
export const defaultRuntime = workloadPolicy<{ allowed: string[]; exceptions: Exception[] }>({
  name: "default-runtime",
  description: "Containers run on the daemon's default runtime (or an allowlisted one); Swarm tasks are containers, never plugins.",
  severity: "high",
  framework: cis("5.5 (privileges granted outside the container's own settings)"),
  remediationSteps: "Remove runtime (containers) or set taskSpec.runtime to container (services); a sandboxing runtime (e.g. runsc) may be added to allowed in the policy config.",
  configSchema: {
    allowed: { type: "array", items: { type: "string" }, description: "Runtimes a container may name (default: runc, the daemon's default)." },
    exceptions: exceptionsProperty(),
  },
  defaults: { allowed: ["runc"], exceptions: [] },
  check({ workload, read, violation, subject, config }) {
    const r = read("runtime", () => runtime(workload));
    if (r === UNKNOWN || !r) return;
    if (workload.kind === "service") {
      if (r !== "container") violation(`${subject} runs as a Swarm ${r} task, with whatever privileges it asks the node for. Set taskSpec.runtime to container.`);
    } else if (!config.allowed.includes(r))
      violation(`${subject} runs on runtime ${r}, not the daemon's default. Remove runtime, or allow ${r} in the policy config with the reason.`);
  },
});
