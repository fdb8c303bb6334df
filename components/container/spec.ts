// The engine-neutral description of one service: what every component produces and what the
// engines (host containers now, Swarm services later) turn into Docker resources. One model, so that
// hardening, limits, logging and health are decided once for every service.
import type * as pulumi from "@pulumi/pulumi";
import * as path from "path";

export interface HealthcheckSpec {
  // Docker healthcheck test, e.g. ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"].
  test: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

export interface FileSpec {
  // Absolute path inside the container.
  path: string;
  content: pulumi.Input<string>;
  // Secret content is marked secret in state and, on Swarm, becomes a docker.Secret.
  secret: boolean;
}

export interface VolumeMountSpec {
  // Key of the volume in the platform's volume map (also part of its Docker name).
  volume: string;
  volumeName: pulumi.Input<string>;
  path: string;
  readOnly: boolean;
  // A volume driver and its options (e.g. NFS through the local driver). On one host the docker.Volume
  // carries them; on a Swarm, Docker creates the volume on the task's node from the mount itself.
  driver?: VolumeDriver;
}

// A host path bind-mounted read-only, with the reason the service needs it (the policy pack holds each
// one to a declared exception).
export interface HostMountSpec {
  hostPath: string;
  path: string;
  reason: string;
}

export interface VolumeDriver {
  name: string;
  options: Record<string, string>;
}

// A network as each engine path addresses it: a container attaches by name; a Swarm service by ID, because
// Swarm stores its networks by ID and the provider reads them back that way (by name, every refresh
// read a change that replaces the service).
export interface NetworkRef {
  name: pulumi.Input<string>;
  id: pulumi.Input<string>;
}

export interface NetworkAttachment {
  // Key of the network in the platform's network map ("backend" or "frontend").
  network: string;
  ref: NetworkRef;
  aliases: string[];
  // Each replica also answers to `<alias>-<replica>` (replicaAlias), so a proxy can list and reach
  // replicas one by one. Engines without per-replica names (Swarm) may ignore it.
  replicaAliases?: boolean;
}

// The name replica i (1-based) of a service is reached by, besides the service's shared alias.
export function replicaAlias(alias: string, replica: number): string {
  return `${alias}-${replica}`;
}

// The aliases of a replica's network attachment: a named replica also answers to `<alias>-<replica>`.
export function networkAliases(n: NetworkAttachment, replica: number | undefined): string[] {
  return n.replicaAliases && replica !== undefined ? [...n.aliases, ...n.aliases.map((a) => replicaAlias(a, replica))] : n.aliases;
}

export interface PortSpec {
  internal: number;
  published: number;
  // Host interface the port binds to (CIS 5.14).
  address: string;
}

export interface WorkloadSpec {
  // Service name: the network alias other services reach it by, and the `service` label.
  service: string;
  // Component kind, for the `component` label: neo4j, mcp-server, data-service, health-monitor, gateway, backup.
  component: string;
  image: pulumi.Input<string>;
  command?: string[];
  entrypoint?: string[];
  user?: string;
  replicas: number;
  memoryMb: number;
  memoryReservationMb: number;
  cpus: number;
  env: Record<string, pulumi.Input<string>>;
  secretEnv: Record<string, pulumi.Output<string>>;
  files: FileSpec[];
  volumes: VolumeMountSpec[];
  // Always read-only.
  hostMounts?: HostMountSpec[];
  readOnlyRootFilesystem: boolean;
  tmpfs: string[];
  // Capabilities added after dropping ALL; each with the reason it is needed.
  capAdd: { capability: string; reason: string }[];
  networks: NetworkAttachment[];
  ports: PortSpec[];
  healthcheck: HealthcheckSpec;
  // Holds state: its data survives replacement and it runs as a single replica.
  stateful: boolean;
  // Runs to completion once instead of serving (volume init): no restarts.
  oneShot?: boolean;
  // What a change of its files does: "replace" the container (it reads them at start, the default), or
  // nothing, because the workload watches its files and reloads them itself ("reload").
  filesChange?: "replace" | "reload";
  // Swarm mode: seconds a stopping task keeps serving before the server gets SIGTERM, for servers that
  // stop at once on it (see swarm.ts). Unset or 0: the server gets the signal at once.
  drainSeconds?: number;
}

export interface FilesDirectory {
  // Position among the workload's file directories: the init's staging and output subdirectory.
  index: number;
  // Directory in the workload where the volume is mounted read-only.
  dir: string;
  files: (FileSpec & { name: string; mode: string })[];
}

// The workload's files grouped by directory, in a stable order (the plan the volumes follow).
export function filesPlan(spec: Pick<WorkloadSpec, "files">): FilesDirectory[] {
  const byDir = new Map<string, FileSpec[]>();
  for (const f of spec.files) {
    const dir = path.posix.dirname(f.path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  return [...byDir.keys()].sort().map((dir, index) => ({
    index,
    dir,
    files: byDir
      .get(dir)!
      .map((f) => ({ ...f, name: path.posix.basename(f.path), mode: f.secret ? "0400" : "0444" }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

// How long `pulumi up` waits for a new container to be healthy: until Docker itself would have called it
// unhealthy (the start period, then `retries` failed probes, each up to interval + timeout), and a little
// more. The provider waits for "healthy" and nothing else, so a longer wait only delays the failure of a
// broken image (it was 5 minutes for every service); a shorter one would fail a slow but healthy start.
export function healthWaitSeconds(h: Pick<HealthcheckSpec, "intervalSeconds" | "timeoutSeconds" | "retries" | "startPeriodSeconds">): number {
  return h.startPeriodSeconds + h.retries * (h.intervalSeconds + h.timeoutSeconds) + 15;
}

export function healthcheck(test: string[], overrides: Partial<Omit<HealthcheckSpec, "test">> = {}): HealthcheckSpec {
  return { test, intervalSeconds: 15, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 30, ...overrides };
}

// What can run an HTTP GET healthcheck inside an image without curl; a server's healthcheckTool names one.
export const HTTP_HEALTHCHECK_TOOLS = ["bash", "wget", "node", "python"] as const;
export type HttpHealthcheckTool = (typeof HTTP_HEALTHCHECK_TOOLS)[number];

// An HTTP GET healthcheck for images without curl: busybox or GNU wget, Node or Python when the image has no
// wget, or bash alone.
export function httpHealthcheck(port: number, path: string, tool: HttpHealthcheckTool = "wget"): HealthcheckSpec {
  const url = `http://127.0.0.1:${port}${path}`;
  switch (tool) {
    // Bash's /dev/tcp and builtins only: about 3 MB, where `node -e` takes about 50 MB of the container's
    // memory limit each time it runs (enough to get a 128 MB Node service OOM-killed). Healthy on a 2xx
    // status line; no answer within 4 s is unhealthy.
    case "bash":
      return healthcheck([
        "CMD",
        "bash",
        "-c",
        `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET ${path} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && read -r -t 4 status <&3 && [[ $status =~ ^HTTP/1\\.[01]\\ 2[0-9][0-9] ]]`,
      ]);
    case "wget":
      return healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", url]);
    case "node":
      return healthcheck([
        "CMD",
        "node",
        "-e",
        `fetch(${JSON.stringify(url)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
      ]);
    case "python":
      return healthcheck(["CMD", "python3", "-c", `import urllib.request,sys; urllib.request.urlopen(${JSON.stringify(url)}, timeout=4)`]);
  }
}
