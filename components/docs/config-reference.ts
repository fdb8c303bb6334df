// The configuration reference, generated from the zod schema (z.toJSONSchema for names, types and
// limits; the schema's own parse for effective defaults, presets included), so it cannot drift from what
// the program accepts. Descriptions are kept here by setting path; a setting without one is still listed.
import { z } from "zod";
import { MCP_SERVER_PRESETS, PROJECT, dataServiceSchema, mcpServerSchema, platformObject, platformSchema } from "../config/schema";

type Json = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Json[];
  properties?: Record<string, Json>;
  additionalProperties?: Json | boolean;
  propertyNames?: Json;
  items?: Json;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  format?: string;
  required?: string[];
};

// What each setting does, by path (`<name>` stands for any entry of a map, `[]` for any list item).
export const DESCRIPTIONS: Record<string, string> = {
  environment: "dev or prod; prod adds volume protection and is held to the strict policy config",
  mode: "host: containers on one Docker engine; swarm: services on a Docker Swarm",
  dockerHost: "the Docker engine to deploy to: unix:///var/run/docker.sock, tcp://host:2376 (TLS) or ssh://user@host",
  publishAddress: "host interface the published ports bind to (127.0.0.1 in dev; 0.0.0.0 in swarm mode)",
  protectVolumes: "protect stateful volumes, and the generated passwords their data needs, so that pulumi destroy cannot delete them",
  sourceRoot: "your ai-PA checkout; build contexts are relative to it",
  presets: "which PA presets the stack runs (gmail, graphiti, rag); [] runs only the servers the stack declares",
  "swarm.stateNodeLabel": "node label (set to true) of the node that holds the stateful services and their volumes",
  "swarm.encryptBackend": "IPsec between nodes on the backend overlay network",
  "logging.maxSize": "json-file log rotation: size of one file",
  "logging.maxFile": "json-file log rotation: files kept",
  "restart.policy": "on-failure or unless-stopped",
  "restart.maxRetries": "restarts on failure before Docker gives up (CIS 5.15: at most 5)",
  "neo4j.image": "the official Neo4j 5 image",
  "neo4j.memoryMb": "memory limit; heap and page cache are derived from it",
  "neo4j.memoryReservationMb": "memory reservation (default: half the limit)",
  "neo4j.cpus": "CPU limit",
  "neo4j.heapMb": "override of the derived heap size",
  "neo4j.pageCacheMb": "override of the derived page cache size",
  "neo4j.passwordLength": "length of the generated NEO4J_AUTH password, applied when the stack creates it: Neo4j keeps the password its database was created with, so a later change keeps the password and warns",
  "neo4j.user": "uid:gid Neo4j runs as",
  services: "MCP servers by name; the presets' settings apply under their names, a stack names only what differs",
  "services.<name>.enabled": "false turns the server off (its secrets are then ignored)",
  "services.<name>.image": "registry image (exactly one of image or build.context)",
  "services.<name>.build.context": "directory to build from, relative to sourceRoot",
  "services.<name>.build.dockerfile": "Dockerfile in that directory",
  "services.<name>.runtime": "node adds NODE_OPTIONS=--max-old-space-size at 75% of the memory limit",
  "services.<name>.healthcheckTool":
    "what runs the healthcheck's HTTP GET in the container; unset: node or python by runtime, else wget (the presets: bash). bash (about 3 MB) where the image has it: a node check takes about 50 MB of the memory limit",
  "services.<name>.command": "the process to run, replacing the image's CMD",
  "services.<name>.port": "port the server listens on in its container",
  "services.<name>.path": "its MCP path",
  "services.<name>.healthPath": "its health path",
  "services.<name>.publishedPort": "host port where the gateway serves it",
  "services.<name>.replicas": "containers (host mode) or single-task services (swarm mode)",
  "services.<name>.drainSeconds": "swarm mode: seconds a stopping replica keeps serving before the server gets SIGTERM, for servers that stop at once on it (graphiti: 5)",
  "services.<name>.rateLimitPerMinute": "gateway rate limit per client address",
  "services.<name>.rateLimitBurst": "requests served at once above the rate",
  "services.<name>.memoryMb": "memory limit",
  "services.<name>.memoryReservationMb": "memory reservation (default: half the limit)",
  "services.<name>.cpus": "CPU limit",
  "services.<name>.user": "numeric uid:gid the process runs as",
  "services.<name>.readOnlyRootFilesystem": "read-only root filesystem; writable paths are tmpfs or volumes",
  "services.<name>.tmpfs": "writable scratch paths",
  "services.<name>.capAdd": "capabilities beyond none",
  "services.<name>.env": "environment variables",
  "services.<name>.secretEnv": "environment variable → secret config key holding its value",
  "services.<name>.secretFiles": "container path → secret config key written there read-only",
  "services.<name>.dataVolume.path": "where the server keeps state: a named volume, backed up",
  "services.<name>.uses": "environment variable → data service whose internal URL it receives",
  "services.<name>.neo4j.uriEnv": "set (even to {}): the server gets Neo4j's URI in this variable (NEO4J_URI) and starts after Neo4j",
  "services.<name>.neo4j.userEnv": "… its user (NEO4J_USER)",
  "services.<name>.neo4j.passwordEnv": "… its generated password (NEO4J_PASSWORD)",
  dataServices: "stateful services on the backend network (e.g. a vector database)",
  "dataServices.<name>.enabled": "false turns it off",
  "dataServices.<name>.image": "registry image (exactly one of image or build.context)",
  "dataServices.<name>.build.context": "directory to build from, relative to sourceRoot",
  "dataServices.<name>.build.dockerfile": "Dockerfile in that directory",
  "dataServices.<name>.port": "port it listens on (reached by alias on the backend network)",
  "dataServices.<name>.command": "the process to run, replacing the image's CMD",
  "dataServices.<name>.memoryMb": "memory limit",
  "dataServices.<name>.memoryReservationMb": "memory reservation (default: half the limit)",
  "dataServices.<name>.cpus": "CPU limit",
  "dataServices.<name>.user": "numeric uid:gid the process runs as",
  "dataServices.<name>.readOnlyRootFilesystem": "read-only root filesystem",
  "dataServices.<name>.tmpfs": "writable scratch paths",
  "dataServices.<name>.capAdd": "capabilities beyond none",
  "dataServices.<name>.env": "environment variables",
  "dataServices.<name>.secretEnv": "environment variable → secret config key",
  "dataServices.<name>.dataVolume.path": "where it keeps its data: a named volume, backed up",
  "dataServices.<name>.scheme": "URL scheme the users of this service get",
  "dataServices.<name>.healthcheck": "a Docker healthcheck command",
  healthMonitor: "the health monitor (built from ai-PA's health-monitor unless an image is set)",
  "healthMonitor.enabled": "false turns the monitor off",
  "healthMonitor.image": "registry image instead of the build",
  "healthMonitor.build.context": "directory to build from, relative to sourceRoot",
  "healthMonitor.build.dockerfile": "Dockerfile in that directory",
  "healthMonitor.port": "port it listens on in its container",
  "healthMonitor.nodeEnv": "NODE_ENV",
  "healthMonitor.command": "the process to run, replacing the image's CMD",
  "healthMonitor.rateLimitPerMinute": "gateway rate limit per client address",
  "healthMonitor.rateLimitBurst": "requests served at once above the rate",
  "healthMonitor.memoryMb": "memory limit",
  "healthMonitor.memoryReservationMb": "memory reservation (default: half the limit)",
  "healthMonitor.cpus": "CPU limit",
  "healthMonitor.user": "numeric uid:gid it runs as",
  "healthMonitor.readOnlyRootFilesystem": "read-only root filesystem",
  "healthMonitor.tmpfs": "writable scratch paths",
  "healthMonitor.capAdd": "capabilities beyond none",
  "healthMonitor.env": "environment variables",
  "alerts.responseTimeMs": "alert when a check takes longer",
  "alerts.errorRate": "alert above this share of failed checks",
  "alerts.consecutiveFailures": "alert after this many failed checks in a row",
  "alerts.memoryUsage": "alert above this share of the memory limit",
  "alerts.cpuUsage": "alert above this share of the CPU limit",
  "backup.enabled": "false turns backups off",
  "backup.schedules[].name": "a short lowercase name, e.g. hourly",
  "backup.schedules[].cron": "five numeric fields, UTC, e.g. \"0 * * * *\"",
  "backup.offsite.nfs.options": "NFS mount options",
  "backup.user": "uid:gid the backup reads the volumes as",
  "backup.memoryMb": "memory limit (cypher-shell is a JVM)",
  "backup.cpus": "CPU limit",
  "gateway.memoryMb": "memory limit",
  "gateway.memoryReservationMb": "memory reservation (default: half the limit)",
  "gateway.cpus": "CPU limit",
  "gateway.connectTimeoutSeconds": "connect timeout to a replica",
  "gateway.maxRequestBodyMb": "largest request body",
  "firewall.enabled": "false: no DOCKER-USER rules (the dev stack binds to 127.0.0.1)",
  "verify.enabled": "false skips the checks",
  "healthMonitor.intervalSeconds": "check interval (the monitor puts it in a cron seconds field: 1–59)",
  "healthMonitor.publishedPort": "host port of its dashboard and API",
  alerts: "the health monitor's alert thresholds",
  backup: "backups: verified restic snapshots on cron schedules checked against the RPO (docs/backups.md)",
  "backup.rpoMinutes": "recovery point objective: the most data, in minutes, a restore may lose",
  "backup.schedules": "cron schedules (5 fields, UTC); together at least one run per RPO",
  "backup.retention.hourly": "snapshots kept (restic forget): the newest of each of the last N hours",
  "backup.retention.daily": "… days",
  "backup.retention.weekly": "… weeks",
  "backup.passwordKey": "secret config key holding the restic repository password (default: generated, stack output backupPassword)",
  "backup.restoreDrill.cron": "when the restore drill runs (5 fields, UTC; default weekly, Sunday 03:30)",
  "backup.checkReadDataSubset": "share of the repository's packs restic check reads back after each run",
  "backup.offsite.nfs.address": "NFS server for the off-host copy",
  "backup.offsite.nfs.path": "its exported path",
  "backup.offsite.rest.url": "a restic REST server's https:// URL for the off-host copy (rest-server, rclone serve restic), without credentials",
  "backup.offsite.rest.username": "its user name",
  "backup.offsite.rest.passwordKey": "secret config key holding that user's password",
  "backup.offsite.rest.caCertificate": "PEM of the CA that signed the server's certificate, when not a public one",
  "backup.image": "defaults to an image built from neo4j.image plus restic (its cypher-shell and scratch server match the server)",
  gateway: "the HAProxy gateway: the only container that publishes host ports (docs/gateway.md)",
  "gateway.image": "HAProxy 3.2, pinned to a version (prod: a digest)",
  "gateway.replicas": "1 on one host; on a Swarm, one per node",
  "gateway.keepaliveConnections": "idle connections each worker keeps to each server's replicas",
  "gateway.streamTimeoutSeconds": "how long an SSE stream may stay silent",
  "gateway.maxFails": "failed health checks (or connections) before a replica leaves the rotation",
  "gateway.failTimeoutSeconds": "seconds between health checks of each replica",
  "gateway.dnsValidSeconds": "how long a replica's DNS answer is trusted",
  "services.<name>.auth.mode": "who may call it through the gateway: apiKey (a generated key per client), oauth (bearer JWTs from your issuer) or none (loopback only)",
  "healthMonitor.auth.mode": "who may call it through the gateway: apiKey (a generated key per client), oauth (bearer JWTs from your issuer) or none (loopback only)",
  "services.<name>.auth.issuer": "oauth: the authorization server (the tokens' iss)",
  "healthMonitor.auth.issuer": "oauth: the authorization server (the tokens' iss)",
  "services.<name>.auth.publicKeys": "oauth: the issuer's signing keys (PEM); list the old and the new one during a rotation",
  "healthMonitor.auth.publicKeys": "oauth: the issuer's signing keys (PEM); list the old and the new one during a rotation",
  "services.<name>.auth.algorithm": "oauth: the tokens' signing algorithm",
  "healthMonitor.auth.algorithm": "oauth: the tokens' signing algorithm",
  "services.<name>.auth.audience": "oauth: the tokens' aud (default: the route's https URL)",
  "healthMonitor.auth.audience": "oauth: the tokens' aud (default: the route's https URL)",
  "services.<name>.auth.scopes": "oauth: scopes every token must carry",
  "healthMonitor.auth.scopes": "oauth: scopes every token must carry",
  "services.<name>.auth.clients": "apiKey: one generated key per client (pulumi stack output --show-secrets apiKeys)",
  "healthMonitor.auth.clients": "apiKey: one generated key per client (pulumi stack output --show-secrets apiKeys)",
  "gateway.publicHost": "host name clients connect to: the routes' URLs and the OAuth audience",
  "gateway.tls.certificate": "secret config key holding the PEM certificate chain",
  "gateway.tls.privateKey": "secret config key holding its PEM private key",
  "gateway.tls.selfSigned": "a self-signed pair made at the first pulumi up (loopback only)",
  "gateway.tls.terminatedBy.reason": "a load balancer in front terminates TLS: say which and why",
  "gateway.tls.hstsMaxAgeSeconds": "Strict-Transport-Security max-age",
  "gateway.allowedOrigins": "browser origins allowed to call the routes (others get 403)",
  "gateway.metricsPort": "internal port of the Prometheus metrics (never published)",
  "gateway.sessionTtlSeconds": "removed (sessions are routed by the replica their id names): delete it",
  "gateway.reloadPollSeconds": "how often the gateway looks for a changed config to reload in place",
  firewall: "DOCKER-USER rules on the Docker host admitting only the published ports",
  "firewall.externalInterface": "interface outside traffic arrives on",
  "firewall.allowFrom": "source CIDRs allowed to reach every published port",
  "firewall.portSources": "host port → source CIDRs, instead of allowFrom",
  "firewall.sshPrivateKey": "secret config key holding the SSH key for an ssh:// dockerHost",
  verify: "the checks after every pulumi up (health and an MCP handshake through the public URLs)",
  "verify.timeoutSeconds": "how long each service may take to pass",
};

function typeOf(s: Json): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(" \\| ");
  if (s.anyOf) return [...new Set(s.anyOf.map(typeOf))].join(" or ");
  const t = Array.isArray(s.type) ? s.type.join(" or ") : s.type;
  if (t === "integer" || t === "number") {
    const what = t === "integer" ? "integer" : "number";
    if (s.minimum !== undefined && s.maximum !== undefined && s.maximum < 1e9) return `${what} ${s.minimum}–${s.maximum}`;
    if (s.exclusiveMinimum === 0) return `${what} > 0`;
    if (s.minimum !== undefined) return `${what} ≥ ${s.minimum}`;
    return what;
  }
  if (t === "array") return s.items?.properties ? `list of {${Object.keys(s.items.properties).join(", ")}}` : `list of ${s.items ? typeOf(s.items) : "values"}`;
  if (t === "object") return s.properties ? "map of settings" : "map";
  if (t === "string" && s.format) return `string (${s.format})`;
  return t ?? "any";
}

function valueAt(root: unknown, parts: string[]): unknown {
  let v = root;
  for (const p of parts) v = v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 60 ? `\`${s.slice(0, 57)}…\`` : `\`${s}\``;
}

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
}

// Effective defaults: the whole platform from no settings, and for a map entry, what the schema fills in
// around a minimal entry (the values the minimal entry gave are not defaults: those settings are required).
function defaults() {
  const platform = platformSchema.parse({}) as Record<string, unknown>;
  const entry = (schema: z.ZodType, minimal: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(schema.parse(minimal) as Record<string, unknown>).filter(([k]) => !(k in minimal)));
  const server = entry(mcpServerSchema, { image: "x:1", port: 1, publishedPort: 1, memoryMb: 1, cpus: 1 });
  const data = entry(dataServiceSchema, { image: "x:1", port: 1, healthcheck: ["CMD", "true"], memoryMb: 1, cpus: 1, dataVolume: { path: "/d" } });
  const required = {
    services: ["port", "publishedPort", "memoryMb", "cpus"],
    dataServices: ["port", "healthcheck", "memoryMb", "cpus", "dataVolume"],
  } as Record<string, string[]>;
  return { platform, entries: { services: server, dataServices: data } as Record<string, unknown>, required };
}

function rows(key: string, s: Json, d: ReturnType<typeof defaults>): Row[] {
  const out: Row[] = [];
  const walk = (node: Json, parts: string[], entryOf?: string, entryParts: string[] = []) => {
    const p = parts.join(".");
    const def = entryOf ? valueAt(d.entries[entryOf], entryParts) : valueAt(d.platform, parts);
    const nested = node.properties && Object.keys(node.properties).length > 0;
    const required = entryOf && entryParts.length > 0 && d.required[entryOf]?.includes(entryParts[0]!);
    if (parts.length > 1 && !nested)
      out.push({ path: p, type: typeOf(node), default: required ? "required" : show(def), description: DESCRIPTIONS[p] ?? "" });
    if (nested) for (const [k, v] of Object.entries(node.properties!)) walk(v, [...parts, k], entryOf, entryOf ? [...entryParts, k] : []);
    else if (node.type === "object" && typeof node.additionalProperties === "object" && node.additionalProperties.properties && parts.length === 1)
      walk(node.additionalProperties, [...parts, "<name>"], parts[0], []);
    else if (node.type === "array" && node.items?.properties)
      for (const [k, v] of Object.entries(node.items.properties)) walk(v, [...parts.slice(0, -1), `${parts[parts.length - 1]}[]`, k], entryOf, []);
  };
  walk(s, [key]);
  return out;
}

export function configurationReference(): string {
  const schema = z.toJSONSchema(platformObject, { io: "input", unrepresentable: "any" }) as Json;
  const d = defaults();
  const lines = [
    "<!-- Generated by `npm run docs` from components/config/schema.ts; edit the schema (or the descriptions in components/docs/config-reference.ts), not this file. -->",
    "# Configuration reference",
    "",
    `Every setting of the stack file (\`Pulumi.<stack>.yaml\`), under the \`${PROJECT}:\` namespace, with its type and its`,
    "default. Set structured ones with `pulumi config set --path`, e.g.",
    "`pulumi config set --path 'services.gmail.replicas' 2`. How to use them: [configuration](../configuration.md).",
    "",
  ];
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    const top = valueAt(d.platform, [key]);
    lines.push(`## \`${PROJECT}:${key}\``, "");
    if (DESCRIPTIONS[key]) lines.push(`${DESCRIPTIONS[key]}.`, "");
    if (key === "services") lines.push(`Presets: ${Object.keys(MCP_SERVER_PRESETS).map((n) => `\`${n}\``).join(", ")} (their settings are in components/config/schema.ts).`, "");
    const r = rows(key, node, d);
    if (r.length === 0) {
      lines.push(`Type: ${typeOf(node)}. Default: ${show(top) || "none"}.`, "");
      continue;
    }
    lines.push("| setting | type | default | what |", "|---|---|---|---|");
    for (const row of r) lines.push(`| \`${row.path}\` | ${row.type} | ${row.default} | ${row.description} |`);
    lines.push("");
  }
  return lines.join("\n");
}
