import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { mounts } from "../lib/workload";

export const isDockerSocket = (path: string) => /(^|\/)docker\.sock$/.test(path.replace(/\/+$/, "")) || /^\/(var\/)?run\/?$/.test(path) || path === "/var/run/docker" || path === "/run/docker";

export const noDockerSocket = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-docker-socket",
  description: "No container mounts the Docker socket (root on the host to whoever reaches it).",
  severity: "critical",
  framework: cis("5.32", "Docker Socket Mounted In Container"),
  remediationSteps: "Remove the docker.sock mount. A backup reads the data volumes mounted read-only instead of running docker exec.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const ms = read("mounts", () => mounts(workload));
    if (ms === UNKNOWN) return;
    for (const m of ms)
      if (m.type === "bind" && m.source && isDockerSocket(m.source))
        violation(`${subject} mounts the Docker socket (${m.source}), which gives it root on the host. Remove the mount; mount the data it needs read-only instead.`);
  },
});
