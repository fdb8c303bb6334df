import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { restart } from "../lib/workload";

export const restartPolicy = workloadPolicy<{ allowed: string[]; maxRetries: number; exceptions: Exception[] }>({
  name: "restart-policy",
  description: "Containers restart on failure at most 5 times (or unless-stopped, where config allows it).",
  severity: "medium",
  framework: cis("5.15", "Restart Policy On Failure Not Set To 5"),
  remediationSteps: "Set restart.policy to on-failure with restart.maxRetries at most 5 (the default), or unless-stopped where the policy config allows it.",
  configSchema: {
    allowed: { type: "array", items: { type: "string", enum: ["on-failure", "unless-stopped", "always"] } },
    maxRetries: { type: "integer", minimum: 1 },
    exceptions: exceptionsProperty(),
  },
  defaults: { allowed: ["on-failure"], maxRetries: 5, exceptions: [] },
  check({ workload, read, violation, subject, config }) {
    const r = read("restart policy", () => restart(workload));
    if (r === UNKNOWN) return;
    if (!config.allowed.includes(r.policy))
      violation(`${subject} has restart policy "${r.policy}". Use ${config.allowed.join(" or ")} (restart.policy) so Docker restarts it when it fails, and never in a tight loop.`);
    else if (r.policy === "on-failure" && !(r.maxRetries !== undefined && r.maxRetries > 0 && r.maxRetries <= config.maxRetries))
      violation(`${subject} restarts on failure ${r.maxRetries ? `${r.maxRetries} times` : "without a retry limit"}. Set maxRetryCount (restart.maxRetries) to at most ${config.maxRetries}.`);
  },
});
