import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { runbook } from "../lib/meta";
import { logging } from "../lib/workload";

export const logsRotated = workloadPolicy<{ drivers: string[]; exceptions: Exception[] }>({
  name: "logs-rotated",
  description: "Containers log with json-file rotated by size (max-size and max-file), as the runbook's log rotation says.",
  severity: "low",
  framework: runbook("Log Management: log rotation (json-file, 10m × 3)"),
  remediationSteps: "Set logDriver json-file with logOpts max-size (e.g. 10m) and max-file (e.g. 3); the shared defaults do (logging.maxSize, logging.maxFile).",
  configSchema: { drivers: { type: "array", items: { type: "string" } }, exceptions: exceptionsProperty() },
  defaults: { drivers: ["json-file"], exceptions: [] },
  check({ workload, read, violation, subject, config }) {
    const log = read("logging", () => logging(workload));
    if (log === UNKNOWN) return;
    if (!log.driver || !config.drivers.includes(log.driver))
      violation(`${subject} logs with ${log.driver ?? "the daemon's default driver"}. Set logDriver to ${config.drivers.join(" or ")} with max-size and max-file.`);
    else if (!log.options["max-size"] || !(Number(log.options["max-file"]) >= 1))
      violation(`${subject} does not rotate its logs (max-size ${log.options["max-size"] ?? "unset"}, max-file ${log.options["max-file"] ?? "unset"}). Set logOpts max-size (10m) and max-file (3).`);
  },
});
