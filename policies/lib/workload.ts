// One reading of a workload, whether it is a docker.Container or a Swarm docker.Service, so a
// rule is written once. Every reader goes through the engine's unknown-checking proxy: reading a value
// unknown during preview throws, and the caller (lib/check.ts) turns that into "can't decide".
// Readers return `undefined` where the resource type has no such field.
import { isUnknownValue, rawOf } from "./sdk";

export const CONTAINER = "docker:index/container:Container";
export const SERVICE = "docker:index/service:Service";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

export type Props = Record<string, unknown>;
export type WorkloadKind = "container" | "service";

export interface Workload {
  kind: WorkloadKind;
  props: Props;
}

export function workloadOf(type: string, props: Props): Workload | undefined {
  if (type === CONTAINER) return { kind: "container", props };
  if (type === SERVICE) return { kind: "service", props };
  return undefined;
}

// Safe walks over untyped property bags.
export function field(o: unknown, ...path: string[]): unknown {
  let v = o;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Props)[key];
  }
  return v;
}
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? [...v] : []);
export const text = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);
export const num = (v: unknown): number | undefined => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const strings = (v: unknown): string[] => list(v).map(text).filter((s): s is string => s !== undefined);

const spec = (w: Workload) => field(w.props, "taskSpec", "containerSpec");

export function labels(w: Workload): Record<string, string> {
  const entries = w.kind === "container" ? list(w.props.labels) : [...list(w.props.labels), ...list(field(spec(w), "labels"))];
  const out: Record<string, string> = {};
  for (const e of entries) {
    const k = text(field(e, "label"));
    if (k === undefined) continue;
    // A label whose value another resource computes (the init's id that ties a workload to it) is unknown
    // during preview; rules read the workload's own names, which must be known.
    if (isUnknownValue(field(rawOf(e), "value")) && !IDENTITY_LABELS.includes(k)) continue;
    out[k] = text(field(e, "value")) ?? "";
  }
  return out;
}
// The labels exceptions and stack rules match on.
const IDENTITY_LABELS = ["service", "component"];

export function image(w: Workload): string | undefined {
  return text(w.kind === "container" ? w.props.image : field(spec(w), "image"));
}

export function user(w: Workload): string | undefined {
  return text(w.kind === "container" ? w.props.user : field(spec(w), "user"));
}

export function privileged(w: Workload): boolean | undefined {
  return w.kind === "container" ? w.props.privileged === true : undefined;
}

export function capabilities(w: Workload): { adds: string[]; drops: string[] } {
  if (w.kind === "container") {
    const c = w.props.capabilities;
    return { adds: strings(field(c, "adds")), drops: strings(field(c, "drops")) };
  }
  return { adds: strings(field(spec(w), "capAdds")), drops: strings(field(spec(w), "capDrops")) };
}

export function securityOpts(w: Workload): string[] | undefined {
  return w.kind === "container" ? strings(w.props.securityOpts) : undefined;
}

export function selinuxDisabled(w: Workload): boolean {
  if (w.kind === "service") return field(spec(w), "privileges", "seLinuxContext", "disable") === true;
  return (securityOpts(w) ?? []).some((o) => /^label[=:]disable$/i.test(o.trim()));
}

export function readOnly(w: Workload): boolean {
  return (w.kind === "container" ? w.props.readOnly : field(spec(w), "readOnly")) === true;
}

const MB = 1024 * 1024;
export function memoryMb(w: Workload): number | undefined {
  if (w.kind === "container") return num(w.props.memory);
  const b = num(field(w.props, "taskSpec", "resources", "limits", "memoryBytes"));
  return b === undefined ? undefined : b / MB;
}
export function memoryReservationMb(w: Workload): number | undefined {
  if (w.kind === "container") return num(w.props.memoryReservation);
  const b = num(field(w.props, "taskSpec", "resources", "reservation", "memoryBytes"));
  return b === undefined ? undefined : b / MB;
}
export function cpus(w: Workload): number | undefined {
  if (w.kind === "service") {
    const n = num(field(w.props, "taskSpec", "resources", "limits", "nanoCpus"));
    return n === undefined ? undefined : n / 1e9;
  }
  const c = num(w.props.cpus);
  if (c !== undefined) return c;
  const quota = num(w.props.cpuQuota);
  const period = num(w.props.cpuPeriod) ?? 100_000;
  return quota !== undefined && quota > 0 ? quota / period : undefined;
}
export function cpuReservation(w: Workload): number | undefined {
  if (w.kind === "service") {
    const n = num(field(w.props, "taskSpec", "resources", "reservation", "nanoCpus"));
    if (n !== undefined) return n / 1e9;
  }
  return cpus(w);
}

// Restart policy in Docker's container vocabulary: no, on-failure, unless-stopped, always.
export function restart(w: Workload): { policy: string; maxRetries?: number } {
  if (w.kind === "container") return { policy: text(w.props.restart) ?? "no", maxRetries: num(w.props.maxRetryCount) };
  const rp = field(w.props, "taskSpec", "restartPolicy");
  const condition = text(field(rp, "condition")) ?? "any";
  const policy = condition === "none" ? "no" : condition === "any" ? "unless-stopped" : condition;
  return { policy, maxRetries: num(field(rp, "maxAttempts")) };
}

export function healthcheck(w: Workload): string[] {
  return strings(field(w.kind === "container" ? w.props.healthcheck : field(spec(w), "healthcheck"), "tests"));
}

export function namespaces(w: Workload): { network?: string; pid?: string; ipc?: string; userns?: string; cgroup?: string } {
  // A Swarm task joins the host's network namespace by attaching to the network named "host". An
  // attachment whose ID is unknown in a preview is to a network this deployment creates, and Docker has
  // one host network, its own: never the host's.
  if (w.kind === "service") return networkAttachments(w).refs.includes("host") ? { network: "host" } : {};
  return {
    network: text(w.props.networkMode) ?? (networkNames(w).includes("host") ? "host" : undefined),
    pid: text(w.props.pidMode),
    ipc: text(w.props.ipcMode),
    userns: text(w.props.usernsMode),
    cgroup: text(w.props.cgroupnsMode),
  };
}

const attachments = (w: Workload) => (w.kind === "container" ? list(w.props.networksAdvanced) : list(field(w.props, "taskSpec", "networksAdvanceds")));

// The networks a workload attaches to, as it names them: a container by name, a Swarm service by ID.
export function networkNames(w: Workload): string[] {
  // The provider plans the deprecated `name` as "" where `id` is given.
  return attachments(w).map((n) => text(field(n, "name")) || text(field(n, "id"))).filter((s): s is string => !!s);
}

// The same, with the attachments whose reference is unknown (a preview, before the network exists: a Swarm
// service's network IDs) counted apart instead of read. The list itself must be known.
export function networkAttachments(w: Workload): { refs: string[]; pending: number } {
  const refs: string[] = [];
  let pending = 0;
  for (const n of attachments(w)) {
    const raw = rawOf(n) as Props;
    const ref = [raw.name, raw.id].find((v) => v !== undefined && v !== null && v !== "");
    if (isUnknownValue(ref)) pending++;
    else if (text(ref) !== undefined) refs.push(text(ref)!);
  }
  return { refs, pending };
}

// Every name other workloads reach it by: its `service` label and its network aliases (replica aliases
// such as gmail-1 included).
export function networkAliases(w: Workload): string[] {
  const nets = w.kind === "container" ? list(w.props.networksAdvanced) : list(field(w.props, "taskSpec", "networksAdvanceds"));
  return nets.flatMap((n) => strings(field(n, "aliases")));
}

// Swarm configs a service mounts, by config name (their content lives in docker.ServiceConfig resources).
export function serviceConfigRefs(w: Workload): { name?: string; file?: string }[] {
  if (w.kind === "container") return [];
  return list(field(spec(w), "configs")).map((c) => ({ name: text(field(c, "configName")), file: text(field(c, "fileName")) }));
}

export interface PublishedPort {
  internal?: number;
  external?: number;
  // Host interface; undefined means every interface (Docker's default, and always so on Swarm).
  ip?: string;
  protocol: string;
  // publishAllPorts: the image's exposed ports, not known from the declaration.
  all?: boolean;
}
export function ports(w: Workload): PublishedPort[] {
  if (w.kind === "container")
    return [
      // publishAllPorts: every port the image EXPOSEs, on random host ports, on every interface.
      ...(w.props.publishAllPorts === true ? [{ protocol: "tcp", all: true }] : []),
      ...list(w.props.ports).map((p) => ({
      internal: num(field(p, "internal")),
      // Docker picks a random host port when external is absent: still published.
      external: num(field(p, "external")),
      ip: text(field(p, "ip")),
      protocol: text(field(p, "protocol")) ?? "tcp",
    })),
    ];
  return list(field(w.props, "endpointSpec", "ports")).map((p) => ({
    internal: num(field(p, "targetPort")),
    external: num(field(p, "publishedPort")),
    ip: undefined,
    protocol: text(field(p, "protocol")) ?? "tcp",
  }));
}
export const ALL_INTERFACES = ["0.0.0.0", "::", "[::]", ""];
export const onAllInterfaces = (p: PublishedPort) => p.ip === undefined || ALL_INTERFACES.includes(p.ip);

export interface Mount {
  type: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  propagation?: string;
}
// Both the `mounts` list and the older `volumes` list (host paths and named volumes).
export function mounts(w: Workload): Mount[] {
  const m = w.kind === "container" ? list(w.props.mounts) : list(field(spec(w), "mounts"));
  const out: Mount[] = m.map((x) => {
    const type = text(field(x, "type")) ?? "volume";
    // A volume of the local driver with o=bind is the host path in `device`: judged as the bind mount it is.
    const bound = type === "volume" ? hostPathOfVolume(text(field(x, "volumeOptions", "driverName")), field(x, "volumeOptions", "driverOptions")) : undefined;
    return {
      type: bound ? "bind" : type,
      source: bound ?? text(field(x, "source")),
      target: text(field(x, "target")),
      readOnly: field(x, "readOnly") === true,
      propagation: text(field(x, "bindOptions", "propagation")),
    };
  });
  if (w.kind === "container")
    for (const v of list(w.props.volumes)) {
      const hostPath = text(field(v, "hostPath"));
      out.push({
        type: hostPath !== undefined ? "bind" : "volume",
        source: hostPath ?? text(field(v, "volumeName")) ?? text(field(v, "fromContainer")),
        target: text(field(v, "containerPath")),
        readOnly: field(v, "readOnly") === true,
      });
    }
  return out;
}

// The host directory a named volume stands for: Docker's local driver with `o: bind` (and type none)
// mounts `device` from the host, whatever the volume is called.
export function hostPathOfVolume(driver: string | undefined, options: unknown): string | undefined {
  if (driver && driver !== "local") return undefined;
  const o = text(field(options, "o")) ?? "";
  const device = text(field(options, "device"));
  return device && o.split(",").some((x) => x.trim() === "bind" || x.trim() === "rbind") ? device : undefined;
}

export function devices(w: Workload): string[] {
  if (w.kind === "service") return [];
  const gpus = text(w.props.gpus);
  return [
    ...list(w.props.devices).map((d) => text(field(d, "hostPath")) ?? "?"),
    ...(gpus ? [`gpus ${gpus}`] : []),
    // Device requests (GPUs by driver) and cgroup rules that open device nodes by major:minor.
    ...list(w.props.deviceRequests).map((r) => `device request ${text(field(r, "driver")) ?? ""}${list(field(r, "capabilities")).length ? ` ${JSON.stringify(field(r, "capabilities"))}` : ""}`.trim()),
    ...strings(w.props.deviceCgroupRules).map((r) => `cgroup rule "${r}"`),
  ];
}

// Supplementary groups the process gets.
export function groups(w: Workload): string[] {
  return w.kind === "container" ? strings(w.props.groupAdds) : strings(field(spec(w), "groups"));
}

export function sysctls(w: Workload): Record<string, string> {
  const raw = w.kind === "container" ? w.props.sysctls : field(spec(w), "sysctl");
  const out: Record<string, string> = {};
  if (typeof raw === "object" && raw !== null) for (const k of Object.keys(raw)) out[k] = text((raw as Props)[k]) ?? "";
  return out;
}

// The OCI runtime (containers) or task runtime (Swarm: "container", or "plugin" for a managed plugin).
export function runtime(w: Workload): string | undefined {
  return text(w.kind === "container" ? w.props.runtime : field(w.props, "taskSpec", "runtime"));
}

export function ulimits(w: Workload): { name?: string; soft?: number; hard?: number }[] {
  if (w.kind === "service") return [];
  return list(w.props.ulimits).map((u) => ({ name: text(field(u, "name")), soft: num(field(u, "soft")), hard: num(field(u, "hard")) }));
}

// Containers whose volumes this one mounts (volumes[].fromContainer).
export function volumesFrom(w: Workload): string[] {
  if (w.kind === "service") return [];
  return list(w.props.volumes).map((v) => text(field(v, "fromContainer"))).filter((s): s is string => !!s);
}

export function cgroupParent(w: Workload): string | undefined {
  return w.kind === "container" ? text(w.props.cgroupParent) : undefined;
}

// Environment entries as [name, value]; container `envs` are KEY=value strings, service env is a map.
export function env(w: Workload): [string, string][] {
  if (w.kind === "service") {
    const e = field(spec(w), "env");
    return typeof e === "object" && e !== null ? Object.keys(e).map((k) => [k, text((e as Props)[k]) ?? ""]) : [];
  }
  return strings(w.props.envs).map((entry) => {
    const i = entry.indexOf("=");
    return i < 0 ? [entry, ""] : [entry.slice(0, i), entry.slice(i + 1)];
  });
}

// Environment entries whose value is known, and how many are not: during preview an entry computed from
// another resource's output (a generated password) is unknown, name and all. Throws (unknown) only when
// the whole list is.
export function envParts(w: Workload): { known: [string, string][]; unknown: number } {
  const raw = rawOf(w.props);
  const values: unknown[] =
    w.kind === "container"
      ? isUnknownValue(raw.envs) ? list(w.props.envs) : list(raw.envs)
      : (() => {
          const e = field(rawOf(field(w.props, "taskSpec", "containerSpec")), "env");
          if (isUnknownValue(e)) return list(field(spec(w), "env"));
          return typeof e === "object" && e !== null ? Object.entries(e).map(([k, v]) => (isUnknownValue(v) ? v : `${k}=${text(v) ?? ""}`)) : [];
        })();
  const known: [string, string][] = [];
  let unknown = 0;
  for (const v of values) {
    if (isUnknownValue(v)) unknown++;
    else if (typeof v === "string") {
      const i = v.indexOf("=");
      known.push(i < 0 ? [v, ""] : [v.slice(0, i), v.slice(i + 1)]);
    }
  }
  return { known, unknown };
}

export function logging(w: Workload): { driver?: string; options: Record<string, string> } {
  const raw = w.kind === "container" ? { driver: w.props.logDriver, options: w.props.logOpts } : {
    driver: field(w.props, "taskSpec", "logDriver", "name"),
    options: field(w.props, "taskSpec", "logDriver", "options"),
  };
  const options: Record<string, string> = {};
  if (typeof raw.options === "object" && raw.options !== null)
    for (const k of Object.keys(raw.options)) options[k] = text((raw.options as Props)[k]) ?? "";
  return { driver: text(raw.driver), options };
}

export function uploads(w: Workload): { file?: string; content?: string }[] {
  if (w.kind === "service") return [];
  return list(w.props.uploads).map((u) => ({ file: text(field(u, "file")), content: text(field(u, "content")) }));
}

export function entrypoint(w: Workload): string[] {
  return w.kind === "container" ? [...strings(w.props.entrypoints), ...strings(w.props.command)] : strings(field(spec(w), "commands"));
}

export function replicas(w: Workload): number {
  if (w.kind === "container") return 1;
  if (field(w.props, "mode", "global") === true) return 1;
  return num(field(w.props, "mode", "replicated", "replicas")) ?? 1;
}
