import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { Reader, UNKNOWN } from "../lib/check";
import { withDefaults } from "../lib/config";
import { cis, type McpPolicy } from "../lib/meta";
import { VOLUME, hostPathOfVolume, text } from "../lib/workload";

interface Config {
  // Volumes (by Docker name) allowed to bind a host directory, each with the reason.
  exceptions: { volume: string; reason: string }[];
}

// A docker.Volume of the local driver with `o: bind` is a host directory under a volume's name: every
// container that mounts the volume by name mounts that directory, unseen by the host-mount rules, which
// read the containers. (A mount's own volumeOptions are read as the bind mount they are by those rules.)
export const volumesNotHostPaths: McpPolicy = {
  name: "volumes-not-host-paths",
  description: "Named volumes are Docker's own storage, not host directories bound under a volume's name (local driver, o=bind, device=<host path>).",
  severity: "high",
  framework: cis("5.6 (host directories mounted into containers)"),
  remediationSteps:
    "Declare the volume without driverOpts (Docker keeps it under its data root). If a host directory must be shared, mount it as a bind mount where the host-mount rules see it, or add an exception naming the volume and the reason.",
  configSchema: {
    properties: {
      exceptions: {
        type: "array",
        items: { type: "object", properties: { volume: { type: "string", minLength: 1 }, reason: { type: "string", minLength: 10 } }, required: ["volume", "reason"] },
      },
    },
  },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== VOLUME) return;
    const config = withDefaults<Config>({ exceptions: [] }, args.getConfig<Partial<Config>>());
    const reader = new Reader();
    const v = reader.read("driver and options", () => ({ name: text(args.props.name), path: hostPathOfVolume(text(args.props.driver), args.props.driverOpts) }));
    if (v !== UNKNOWN && v.path && !config.exceptions.some((e) => e.volume === v.name && e.reason?.trim()))
      report(`Volume ${v.name ?? args.name} binds host path ${v.path} (local driver, o=bind): every container that mounts it by name mounts that host directory. Declare it without driverOpts, or add an exception naming the volume and the reason.`);
    reader.finish();
  },
};
