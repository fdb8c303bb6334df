import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { groups, user } from "../lib/workload";

export const nonRootUser = workloadPolicy<{ exceptions: Exception[] }>({
  name: "non-root-user",
  description: "Containers run as a non-root user set in the declaration (not left to the image), outside the root group.",
  severity: "high",
  framework: cis("4.1 (a non-root user for the container)"),
  remediationSteps: "Set user to a numeric non-zero uid:gid the image has, e.g. \"1000:1000\" (services.<name>.user).",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const u = read("user", () => user(workload));
    if (u === UNKNOWN) return;
    const name = (u ?? "").split(":")[0]!.trim();
    if (!name) violation(`${subject} sets no user, so it runs as the image's user, often root. Set user to a non-root uid:gid such as 1000:1000.`);
    else if (name === "root" || /^0+$/.test(name)) violation(`${subject} runs as root (user ${u}). Set user to a non-root uid:gid such as 1000:1000.`);
    // Group root (gid 0) reads and writes whatever root's group may: a step back towards root.
    const gid = (u ?? "").split(":")[1]?.trim();
    const extra = read("groups", () => groups(workload));
    const rootGroup = [...(gid !== undefined && (gid === "root" || /^0+$/.test(gid)) ? [`gid ${gid}`] : []), ...(extra === UNKNOWN ? [] : extra.filter((g) => g === "root" || /^0+$/.test(g)).map((g) => `supplementary group ${g}`))];
    if (name && name !== "root" && !/^0+$/.test(name) && rootGroup.length) violation(`${subject} runs in the root group (${rootGroup.join(", ")}). Give it a non-zero gid (user 1000:1000) and remove group 0 from groupAdds.`);
  },
});
