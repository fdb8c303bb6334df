// A Compose file of the same containers a stack runs, for the comparison of `pulumi up` with `docker
// compose up -d --wait` (drills.e2e.ts, bench/README.md). Built from the program's own model, the
// docker.ContainerArgs that components/container/defaults.ts (containerArgs) and init.ts (initArgs) give
// every container, as the provider received them: the inputs of each Container resource in the stack's
// state, resolved (image ids, generated passwords, rendered files). Networks and volumes come from their
// resources' inputs the same way, and each container's dependencies (an init before its service, replicas
// one after the other, Neo4j before graphiti, the servers before the gateway) become `depends_on`, so
// Compose starts the same images with the same settings in the same order. An object, written as YAML
// once; a setting this builder does not know fails the build rather than being left out.
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";

// A container's arguments with every Output resolved: what the provider was given.
export type ContainerInputs = pulumi.Unwrap<docker.ContainerArgs>;
export type NetworkInputs = pulumi.Unwrap<docker.NetworkArgs>;
export type VolumeInputs = pulumi.Unwrap<docker.VolumeArgs>;

export interface ComposeModel {
  containers: { service: string; args: ContainerInputs; dependsOn: string[] }[];
  // By Docker name.
  networks: Record<string, NetworkInputs>;
  volumes: Record<string, VolumeInputs>;
  // Image id (what a container names, RemoteImage.imageId) -> the reference it was pulled or built as.
  images: Record<string, string>;
}

// Settings of the provider alone, with no Docker counterpart for a container (how Pulumi waits, what it
// does on delete): `wait` is `up --wait`; the inits' attach/logs/mustRun are Compose's one-shot service
// with `restart: "no"` that its dependents wait for (service_completed_successfully).
const PROVIDER_ONLY = new Set(["wait", "waitTimeout", "destroyGraceSeconds", "attach", "logs", "mustRun", "name", "start", "rm", "removeVolumes", "containerReadRefreshTimeoutMilliseconds", "__defaults"]);
const MAPPED = new Set([
  "image", "command", "entrypoints", "user", "envs", "labels", "memory", "memoryReservation", "memorySwap", "cpus", "logDriver", "logOpts", "healthcheck",
  "restart", "maxRetryCount", "init", "securityOpts", "capabilities", "readOnly", "tmpfs", "mounts", "networksAdvanced", "ports", "stopTimeout", "stopSignal",
  "uploads", "networkMode",
]);
const LISTS = ["command", "entrypoints", "envs", "labels", "securityOpts", "mounts", "networksAdvanced", "ports", "uploads"] as const;
// A default the provider fills in that sets nothing (an empty list, false, a zero).
const unset = (v: unknown) => v === undefined || v === null || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

// Whether Docker probes the container's health.
const probes = (args: ContainerInputs) => Boolean(args.healthcheck?.tests?.length && args.healthcheck.tests[0] !== "NONE");

// Compose interpolates ${VAR} and $VAR in every value of the file; a literal $ is written $$.
function escaped<T>(v: T): T {
  if (typeof v === "string") return v.replace(/\$/g, "$$$$") as T;
  if (Array.isArray(v)) return v.map(escaped) as T;
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escaped(x)])) as T;
  return v;
}

const mb = (n: number | undefined) => (n === undefined ? undefined : `${n}m`);

export interface ComposeFile {
  name: string;
  services: Record<string, Record<string, unknown>>;
  networks: Record<string, Record<string, unknown>>;
  volumes: Record<string, Record<string, unknown>>;
  configs?: Record<string, { content: string }>;
}

// The Compose project: one service per container (a replica is a service of its own, with its own
// aliases and labels, as Pulumi declares it).
export function composeProject(project: string, model: ComposeModel): ComposeFile {
  const known = new Set(model.containers.map((c) => c.service));
  const oneShot = (args: ContainerInputs) => args.restart === "no" && args.mustRun === false;
  const byService = new Map(model.containers.map((c) => [c.service, c.args]));
  const configs: Record<string, { content: string }> = {};
  const services: ComposeFile["services"] = {};
  for (const { service, args, dependsOn } of model.containers) {
    const notList = LISTS.filter((k) => args[k] !== undefined && !Array.isArray(args[k]));
    if (notList.length) throw new Error(`${service}: ${notList.join(", ")} should be a list (a secret left wrapped?)`);
    const unknown = Object.entries(args).filter(([k, v]) => !MAPPED.has(k) && !PROVIDER_ONLY.has(k) && !unset(v)).map(([k]) => k);
    if (unknown.length) throw new Error(`${service}: container settings with no Compose counterpart here: ${unknown.join(", ")} (add them to test/e2e/lib/compose.ts)`);
    const s: Record<string, unknown> = {};
    const image = args.image;
    s.image = model.images[image] ?? image;
    if (args.entrypoints?.length) s.entrypoint = args.entrypoints;
    if (args.command?.length) s.command = args.command;
    if (args.user) s.user = args.user;
    if (args.envs?.length) s.environment = args.envs;
    if (args.labels?.length) s.labels = Object.fromEntries(args.labels.map((l) => [l.label, l.value]));
    if (args.memory) s.mem_limit = mb(args.memory);
    if (args.memoryReservation) s.mem_reservation = mb(args.memoryReservation);
    if (args.memorySwap) s.memswap_limit = mb(args.memorySwap);
    if (args.cpus) s.cpus = Number(args.cpus);
    if (args.logDriver) s.logging = { driver: args.logDriver, ...(args.logOpts ? { options: args.logOpts } : {}) };
    const h = args.healthcheck;
    if (h && probes(args))
      // Go durations ("1m0s", "2s"), as the program writes them, are what Compose reads too.
      s.healthcheck = {
        test: h.tests,
        ...(h.interval ? { interval: h.interval } : {}),
        ...(h.timeout ? { timeout: h.timeout } : {}),
        ...(h.retries ? { retries: h.retries } : {}),
        ...(h.startPeriod ? { start_period: h.startPeriod } : {}),
        ...(h.startInterval ? { start_interval: h.startInterval } : {}),
      };
    if (args.restart) s.restart = args.restart === "on-failure" && args.maxRetryCount ? `on-failure:${args.maxRetryCount}` : args.restart;
    if (args.init) s.init = true;
    if (args.securityOpts?.length) s.security_opt = args.securityOpts;
    if (args.capabilities?.drops?.length) s.cap_drop = args.capabilities.drops;
    if (args.capabilities?.adds?.length) s.cap_add = args.capabilities.adds;
    if (args.readOnly) s.read_only = true;
    if (args.tmpfs && Object.keys(args.tmpfs).length) s.tmpfs = Object.entries(args.tmpfs).map(([p, o]) => (o ? `${p}:${o}` : p));
    if (args.mounts?.length)
      s.volumes = args.mounts.map((m) => {
        if (m.type === "volume" && !(m.source! in model.volumes)) throw new Error(`${service}: mounts volume ${m.source}, which the stack does not declare`);
        return { type: m.type, source: m.source, target: m.target, ...(m.readOnly ? { read_only: true } : {}) };
      });
    if (args.networkMode === "none") s.network_mode = "none";
    else if (args.networksAdvanced?.length)
      s.networks = Object.fromEntries(
        args.networksAdvanced.map((n) => {
          if (!(n.name in model.networks)) throw new Error(`${service}: joins network ${n.name}, which the stack does not declare`);
          return [n.name, n.aliases?.length ? { aliases: n.aliases } : {}];
        }),
      );
    else if (args.networkMode && args.networkMode !== "bridge") throw new Error(`${service}: network mode ${args.networkMode} is not mapped`);
    if (args.ports?.length)
      s.ports = args.ports.map((p) => ({ target: p.internal, ...(p.external ? { published: String(p.external) } : {}), ...(p.ip ? { host_ip: p.ip } : {}), protocol: p.protocol ?? "tcp" }));
    if (args.stopTimeout) s.stop_grace_period = `${args.stopTimeout}s`;
    if (args.stopSignal) s.stop_signal = args.stopSignal;
    // Files the provider copies into the container before it starts: Compose does the same with a config's
    // content (copied in, not mounted, on a single engine).
    if (args.uploads?.length)
      s.configs = args.uploads.map((u, i) => {
        if (u.contentBase64 || u.source) throw new Error(`${service}: an upload from ${u.source ? "a host file" : "base64"} is not mapped`);
        const key = `${service}-${i}`;
        configs[key] = { content: u.content ?? "" };
        return { source: key, target: u.file, ...(u.permissions ? { mode: parseInt(u.permissions, 8) } : {}) };
      });
    const deps = dependsOn.filter((d) => d !== service);
    for (const d of deps) if (!known.has(d)) throw new Error(`${service}: depends on ${d}, which is not a container of the stack`);
    if (deps.length)
      s.depends_on = Object.fromEntries(
        deps.map((d) => {
          const dep = byService.get(d)!;
          return [d, { condition: oneShot(dep) ? "service_completed_successfully" : probes(dep) ? "service_healthy" : "service_started" }];
        }),
      );
    services[service] = s;
  }
  const networks = Object.fromEntries(
    Object.entries(model.networks).map(([name, n]) => [
      name,
      {
        name,
        ...(n.driver ? { driver: n.driver } : {}),
        ...(n.internal ? { internal: true } : {}),
        ...(n.options && Object.keys(n.options).length ? { driver_opts: n.options } : {}),
        ...(n.labels?.length ? { labels: Object.fromEntries(n.labels.map((l) => [l.label, l.value])) } : {}),
      },
    ]),
  );
  const volumes = Object.fromEntries(
    Object.entries(model.volumes).map(([name, v]) => [
      name,
      {
        name,
        ...(v.driver ? { driver: v.driver } : {}),
        ...(v.driverOpts && Object.keys(v.driverOpts).length ? { driver_opts: v.driverOpts } : {}),
        ...(v.labels?.length ? { labels: Object.fromEntries(v.labels.map((l) => [l.label, l.value])) } : {}),
      },
    ]),
  );
  return escaped({ name: project, services, networks, volumes, ...(Object.keys(configs).length ? { configs } : {}) });
}

export function composeYaml(file: ComposeFile): string {
  // No anchors or aliases for repeated values: every value written where it is used.
  return stringify(file, { aliasDuplicateObjects: false, lineWidth: 0 });
}

// A resource of `pulumi stack export --show-secrets`.
export interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  dependencies?: string[];
}

// The engine's marker of a secret value (sdk/go/common/resource/properties.go), as an export writes it:
// {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: "<JSON>"} with
// --show-secrets, ciphertext without.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export function revealed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revealed);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) {
      if (typeof o.plaintext !== "string") throw new Error("a secret of the state is not shown: export it with --show-secrets");
      return revealed(JSON.parse(o.plaintext));
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revealed(x)]));
  }
  return v;
}

const CONTAINER = "docker:index/container:Container";
const resourceName = (urn: string) => urn.split("::").pop()!;

// The model of the stack's containers, networks and volumes, from its state. Dependencies on other
// resources (images, volumes, commands) are followed through to the containers behind them.
export function modelFromState(resources: StateResource[]): ComposeModel {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const containerDeps = (urn: string, seen = new Set<string>()): string[] => {
    const out: string[] = [];
    for (const d of byUrn.get(urn)?.dependencies ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      const r = byUrn.get(d);
      if (!r) continue;
      if (r.type === CONTAINER) out.push(resourceName(d));
      else out.push(...containerDeps(d, seen));
    }
    return [...new Set(out)];
  };
  const of = (type: string) => resources.filter((r) => r.type === type && r.custom !== false);
  const containers = of(CONTAINER).map((r) => ({ service: resourceName(r.urn), args: revealed(r.inputs) as ContainerInputs, dependsOn: containerDeps(r.urn) }));
  const networks = Object.fromEntries(of("docker:index/network:Network").map((r) => [String(r.outputs?.name ?? r.inputs?.name), revealed(r.inputs) as NetworkInputs]));
  const volumes = Object.fromEntries(of("docker:index/volume:Volume").map((r) => [String(r.outputs?.name ?? r.inputs?.name), revealed(r.inputs) as VolumeInputs]));
  const images = Object.fromEntries(
    of("docker:index/remoteImage:RemoteImage")
      .filter((r) => typeof r.outputs?.imageId === "string")
      .map((r) => [String(r.outputs!.imageId), String(r.inputs?.name)]),
  );
  return { containers, networks, volumes, images };
}
