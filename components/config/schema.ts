// The whole platform's configuration: one zod schema, and every default lives here.
// Pulumi.yaml repeats the simple defaults for `pulumi config` to document them (a test keeps the two equal),
// but only this schema applies them: Pulumi.yaml defaults are not applied under the test mocks.
import { z } from "zod";
import { cronProblem, describeMinutes, longestGapMinutes } from "../backup/schedule";
import { HTTP_HEALTHCHECK_TOOLS } from "../container/spec";
import { PROBE_PROTOCOL_VERSIONS } from "../health-monitor/app/src/config";
import { neo4jMemory } from "../neo4j/memory";

export const PROJECT = "mcp-platform";

// Numbers and booleans set with `pulumi config set --path` may arrive as strings; accept those spellings.
const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), schema);
const bool = (def: boolean) =>
  z
    .preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean({ error: "must be true or false" }))
    .default(def);

export const positiveInt = (what = "a positive integer") =>
  numeric(z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).positive({ error: `must be ${what}` }));
const nonNegativeInt = (what = "a whole number, 0 or more") =>
  numeric(z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).min(0, { error: `must be ${what}` }));
const positiveNumber = (what = "a positive number") =>
  numeric(z.number({ error: `must be ${what}` }).positive({ error: `must be ${what}` }));
const ratio = () =>
  numeric(
    z
      .number({ error: "must be a number between 0 and 1" })
      .gt(0, { error: "must be a number between 0 and 1" })
      .max(1, { error: "must be a number between 0 and 1" }),
  );
// A whole number of seconds from min to max; whyMax, where given, says why no more is allowed.
const wholeSeconds = (min: number, max: number, whyMax?: string) => {
  const range = `must be a whole number of seconds from ${min} to ${max}`;
  return numeric(
    z
      .number({ error: range })
      .int({ error: range })
      .min(min, { error: range })
      .max(max, { error: whyMax ? `must be at most ${max}: ${whyMax}` : range }),
  );
};
export const port = () =>
  numeric(
    z
      .number({ error: "must be a port number between 1 and 65535" })
      .int({ error: "must be a port number between 1 and 65535" })
      .min(1, { error: "must be a port number between 1 and 65535" })
      .max(65535, { error: "must be a port number between 1 and 65535" }),
  );
const text = (what = "a non-empty string") => z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });

// Names become Docker network aliases and resource names: DNS labels.
const dnsLabel = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
export const serviceName = z
  .string()
  .regex(dnsLabel, { error: "must be a lowercase DNS label (letters, digits, '-'; 2-32 characters)" });
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Secret values live in their own top-level config keys (set with `pulumi config set --secret`);
// other settings refer to them by key name, so no structured setting ever holds a secret.
const secretKeyName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: "must name a secret config key (letters, digits, '_' or '-')" });
const envValue = z.union([z.string(), z.number(), z.boolean()], { error: "must be a string, number or boolean" }).transform(String);
const envMap = z.record(z.string().regex(envName, { error: "is not a valid environment variable name" }), envValue);
const httpPath = z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, { error: "must be an absolute URL path such as /mcp" });
const containerPath = z.string().regex(/^\/[^\s:]*$/, { error: "must be an absolute path inside the container" });
const hostAddress = z.union([z.ipv4(), z.ipv6()], { error: "must be an IP address, e.g. 127.0.0.1" });
const dockerHost = z
  .string()
  .regex(/^(unix|tcp|ssh|npipe):\/\/.+/, { error: "must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host" });

// An image is either pulled from a registry or built from a directory of the user's ai-PA checkout.
const build = z.strictObject({
  context: text("a directory, relative to sourceRoot or absolute"),
  dockerfile: z.string().optional(),
});
const imageSource = {
  image: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]*$/i, { error: "must be an image reference such as neo4j:5.26" }).optional(),
  build: build.optional(),
};

function oneImageSource(s: { enabled: boolean; image?: string; build?: unknown }, ctx: z.RefinementCtx): void {
  if (s.enabled && !s.image === !s.build)
    ctx.addIssue({ code: "custom", path: ["image"], message: "set exactly one of image (a registry reference) or build.context (a directory)" });
}

const resources = {
  memoryMb: positiveInt(),
  // Reservation defaults to half the limit (see container/defaults.ts).
  memoryReservationMb: positiveInt().optional(),
  cpus: positiveNumber(),
};

const hardening = {
  // uid:gid the process runs as; every image we run has a non-root user at these ids.
  user: z.string().regex(/^\d+(:\d+)?$/, { error: "must be a numeric uid or uid:gid, e.g. 1000:1000" }).optional(),
  readOnlyRootFilesystem: bool(true),
  // Writable scratch paths when the root filesystem is read-only.
  tmpfs: z.array(containerPath).default(["/tmp"]),
  // Capabilities beyond none; each must be justified where the default sets it.
  capAdd: z.array(z.string().regex(/^[A-Z_]+$/, { error: "must be a capability name such as NET_BIND_SERVICE" })).default([]),
};

const volumeMount = z.strictObject({ path: containerPath });

// The process the container runs, replacing the image's CMD (the image's ENTRYPOINT still wraps it).
// Swarm mode needs it for images that read secrets only from env (see container/secret-env.sh).
const command = z.array(z.string(), { error: "must be a list of strings, e.g. [\"node\", \"dist/server-http.js\"]" }).min(1).optional();

// How the gateway authenticates callers of a route (components/gateway). Every route published beyond
// loopback needs one of the two modes (crossChecks); "none" is for loopback only.
const scopeName = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: "must be an OAuth scope: printable characters, no spaces or quotes" });
const clientName = z.string().regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, { error: "must be a lowercase client name (letters, digits, '-'; 2-32 characters)" });
const pemPublicKey = z
  .string({ error: "must be a PEM public key (-----BEGIN PUBLIC KEY----- ...)" })
  .regex(/^\s*-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+-----END PUBLIC KEY-----\s*$/, {
    error: "must be a PEM public key (-----BEGIN PUBLIC KEY----- ...): the issuer's signing key, e.g. from its JWKS converted to PEM",
  });
export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"] as const;
export const authSchema = z
  .strictObject({
    // oauth: the gateway is an OAuth 2.1 resource server for the route (bearer JWTs from an issuer).
    // apiKey: per-client keys generated at deploy time; the gateway keeps only their SHA-256 hashes.
    mode: z.enum(["oauth", "apiKey", "none"], { error: "must be oauth, apiKey or none" }).default("apiKey"),
    // oauth: the authorization server (the tokens' iss claim, and the metadata's authorization_servers).
    issuer: z.url({ error: "must be the issuer's URL, e.g. https://auth.example.com" }).optional(),
    // oauth: the issuer's signing keys; during a rotation, list the old and the new one.
    publicKeys: z.array(pemPublicKey).default([]),
    algorithm: z.enum(JWT_ALGORITHMS, { error: `must be one of ${JWT_ALGORITHMS.join(", ")}` }).default("RS256"),
    // oauth: the tokens' aud (RFC 8707); defaults to the route's canonical URL, https://<gateway.publicHost>:<port><path>.
    audience: z.string().min(1).optional(),
    // oauth: scopes every token must carry (403 insufficient_scope otherwise).
    scopes: z.array(scopeName).default([]),
    // apiKey: one generated key per client, exported as the secret output apiKeys.<route>.<client>.
    clients: z.array(clientName).min(1, { error: "must name at least one client, e.g. [\"default\"]" }).default(["default"]),
  })
  .superRefine((a, ctx) => {
    if (a.mode !== "oauth") return;
    if (!a.issuer) ctx.addIssue({ code: "custom", path: ["issuer"], message: "is required with mode oauth: the authorization server's URL (the tokens' iss)" });
    if (a.publicKeys.length === 0)
      ctx.addIssue({ code: "custom", path: ["publicKeys"], message: "must list the issuer's signing key (PEM) with mode oauth" });
  });

export const mcpServerSchema = z
  .strictObject({
    enabled: bool(true),
    ...imageSource,
    // "node" adds NODE_OPTIONS=--max-old-space-size derived from the memory limit.
    runtime: z.enum(["node", "python", "other"], { error: "must be node, python or other" }).default("other"),
    command,
    port: port(),
    path: httpPath.default("/mcp"),
    healthPath: httpPath.default("/health"),
    // What runs the healthcheck's HTTP GET inside the container; unset, the runtime's own interpreter (node,
    // python) or wget. bash is the lightest (about 3 MB against node's 50 MB, counted in the memory limit)
    // where the image has it.
    healthcheckTool: z.enum(HTTP_HEALTHCHECK_TOOLS, { error: "must be bash, wget, node or python" }).optional(),
    // Host port where the gateway serves this server.
    publishedPort: port(),
    replicas: positiveInt().default(1),
    // Swarm mode: seconds a stopping replica keeps serving before the server gets SIGTERM, while the
    // gateways move to its successor. For servers that stop at once on SIGTERM; 0 for one that drains
    // itself. At most 20: a stopping task is killed 30 s after the signal.
    drainSeconds: wholeSeconds(0, 20, "a stopping replica is killed 30 s after SIGTERM, and the server needs the rest to finish its requests").default(0),
    // Gateway rate limit (requests per minute per client address) and burst.
    rateLimitPerMinute: positiveInt().default(100),
    rateLimitBurst: nonNegativeInt().default(20),
    // Who may call it through the gateway.
    auth: authSchema.default(authSchema.parse({})),
    ...resources,
    ...hardening,
    env: envMap.default({}),
    // ENV_NAME -> secret config key holding its value.
    secretEnv: z.record(z.string().regex(envName, { error: "is not a valid environment variable name" }), secretKeyName).default({}),
    // Container path -> secret config key whose value is written there read-only (e.g. OAuth client keys).
    secretFiles: z.record(containerPath, secretKeyName).default({}),
    // Where it keeps state; a named volume is mounted there and backed up.
    dataVolume: volumeMount.optional(),
    // ENV_NAME -> data service whose internal URL it receives.
    uses: z.record(z.string().regex(envName, { error: "is not a valid environment variable name" }), z.string()).default({}),
    // Servers that talk to Neo4j get its URI and credentials and start after it is healthy.
    neo4j: z
      .strictObject({
        uriEnv: z.string().default("NEO4J_URI"),
        userEnv: z.string().default("NEO4J_USER"),
        passwordEnv: z.string().default("NEO4J_PASSWORD"),
      })
      .optional(),
  })
  .superRefine(oneImageSource);

export const dataServiceSchema = z
  .strictObject({
    enabled: bool(true),
    ...imageSource,
    port: port(),
    // URL scheme the users of this service get, e.g. http://vector-db:6333
    scheme: z.string().regex(/^[a-z][a-z0-9+.-]*$/).default("http"),
    command,
    healthcheck: z.array(z.string()).min(1, { error: "must be a command such as [\"CMD\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://localhost:6333/\"]" }),
    ...resources,
    ...hardening,
    env: envMap.default({}),
    secretEnv: z.record(z.string().regex(envName), secretKeyName).default({}),
    dataVolume: volumeMount,
  })
  .superRefine(oneImageSource);

export const neo4jSchema = z.strictObject({
  image: z.string().default("neo4j:5.26"),
  // Below 1 GiB the derived heap and page cache leave Neo4j unable to start reliably.
  memoryMb: positiveInt().pipe(z.number().min(1024, { error: "must be at least 1024 (Neo4j needs 1 GiB)" })).default(2048),
  memoryReservationMb: positiveInt().optional(),
  cpus: positiveNumber().default(1),
  // Overrides of the derived sizes, in MB.
  heapMb: positiveInt().optional(),
  pageCacheMb: positiveInt().optional(),
  // Password length for the generated NEO4J_AUTH password.
  passwordLength: positiveInt().pipe(z.number().min(16, { error: "must be at least 16" })).default(32),
  user: z.string().regex(/^\d+(:\d+)?$/).default("7474:7474"),
});

// The platform's own health monitor (components/health-monitor/app), built from this repository unless
// image (a registry reference, pinned by digest in prod) or build (another directory) says otherwise.
export const HEALTH_MONITOR_PROTOCOL_VERSIONS = PROBE_PROTOCOL_VERSIONS;
export const healthMonitorSchema = z
  .strictObject({
    enabled: bool(true),
    ...imageSource,
    port: port().default(8083),
    publishedPort: port().default(8083),
    // Seconds between two probes of a target (the monitor schedules them itself: any value up to an hour).
    intervalSeconds: wholeSeconds(1, 3600).default(30),
    // Bound on each request of a probe; a slower answer is a failed check.
    probeTimeoutSeconds: positiveInt().default(10),
    // MCP revisions each server is probed with (initialize + tools/list per revision).
    mcpProtocolVersions: z
      .array(z.enum(HEALTH_MONITOR_PROTOCOL_VERSIONS, { error: `must be one of ${HEALTH_MONITOR_PROTOCOL_VERSIONS.join(", ")} (the revisions the monitor's MCP SDK speaks over Streamable HTTP)` }))
      .min(1, { error: "must name at least one MCP protocol revision, e.g. [\"2025-11-25\"]" })
      .default(["2025-11-25", "2025-03-26"]),
    // Probes the error rate (alerts.errorRate) is taken over.
    errorRateWindow: positiveInt().pipe(z.number().min(2, { error: "must be at least 2" })).default(20),
    // Checks kept per target, on the monitor's volume.
    historyPerTarget: positiveInt().pipe(z.number().max(10000, { error: "must be at most 10000" })).default(500),
    // Secret config key holding the webhook URL alerts are posted to (Slack-compatible JSON).
    alertWebhookKey: secretKeyName.optional(),
    // A firing alert is sent again this often while it stays open.
    alertResendMinutes: positiveInt().default(60),
    // Secret config key holding the bearer token the monitor presents when it probes through the gateway.
    gatewayTokenKey: secretKeyName.optional(),
    // Memory and CPU per container, from the host's cgroup files mounted read-only (host mode only).
    resources: z
      .strictObject({
        enabled: bool(true),
        cgroupRoot: z.string().regex(/^\/[^\s:]*$/, { error: "must be an absolute host path, e.g. /sys/fs/cgroup" }).default("/sys/fs/cgroup"),
      })
      .default({ enabled: true, cgroupRoot: "/sys/fs/cgroup" }),
    nodeEnv: z.string().default("production"),
    command,
    rateLimitPerMinute: positiveInt().default(500),
    rateLimitBurst: nonNegativeInt().default(50),
    // Who may open the dashboard and API through the gateway (apiKey also takes HTTP Basic, for browsers).
    auth: authSchema.default(authSchema.parse({})),
    memoryMb: positiveInt().default(256),
    memoryReservationMb: positiveInt().optional(),
    cpus: positiveNumber().default(0.5),
    ...hardening,
    env: envMap.default({}),
  })
  .superRefine((m, ctx) => {
    if (m.image && m.build) ctx.addIssue({ code: "custom", path: ["image"], message: "set at most one of image (a registry reference) or build.context; leave both out for the monitor built from this repository" });
  });

// The HAProxy gateway in front of every published service (components/gateway).
// An image reference pinned to a version tag or a digest: the gateway's behaviour depends on its HAProxy line.
const pinnedImage = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]{64})$/, {
    error: "must be an image pinned to a version or a digest, e.g. haproxy:3.2 or haproxy:3.2@sha256:<digest>",
  })
  .refine((v) => !/:latest(@|$)/.test(v), { error: "must not use the latest tag: pin a version such as haproxy:3.2" });

// TLS on the published routes: a certificate and key from secret config, a self-signed pair generated at
// deploy time (loopback only), or a TLS-terminating load balancer in front (declared, with the reason).
export const gatewayTlsSchema = z
  .strictObject({
    // Secret config keys holding the PEM certificate chain and its private key.
    certificate: secretKeyName.optional(),
    privateKey: secretKeyName.optional(),
    // Generate a self-signed pair (needs openssl where `pulumi up` runs); accepted on loopback only.
    selfSigned: bool(false),
    // Plain HTTP on the published ports because a load balancer in front terminates TLS: say which and why.
    terminatedBy: z.strictObject({ reason: text("a sentence naming the TLS-terminating load balancer in front") }).optional(),
    // Strict-Transport-Security max-age on every answer over TLS.
    hstsMaxAgeSeconds: nonNegativeInt().default(63072000),
  })
  .superRefine((t, ctx) => {
    const given = [t.certificate || t.privateKey ? "certificate" : "", t.selfSigned ? "selfSigned" : "", t.terminatedBy ? "terminatedBy" : ""].filter(Boolean);
    if (given.length > 1)
      ctx.addIssue({ code: "custom", path: [given[1]!], message: `conflicts with ${given[0]}: choose one of certificate + privateKey, selfSigned or terminatedBy` });
    if (!t.certificate !== !t.privateKey)
      ctx.addIssue({ code: "custom", path: [t.certificate ? "privateKey" : "certificate"], message: "must be set together with its pair: name the secret config keys of the PEM certificate chain and of its private key" });
  });

const origin = z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^null$/, { error: "must be an origin such as https://app.example.com (scheme, host and port only)" });

export const gatewaySchema = z.strictObject({
  // HAProxy's official image, 3.2 LTS line: uid 99, Lua and the Prometheus exporter built in.
  image: pinnedImage.default("haproxy:3.2"),
  // Gateways on a Swarm, each on a node of its own (it holds the published ports there); 1 on one host.
  replicas: positiveInt().default(1),
  memoryMb: positiveInt().default(128),
  memoryReservationMb: positiveInt().optional(),
  cpus: positiveNumber().default(0.5),
  // Host name clients use: the routes' canonical URLs (the OAuth audience) and the metadata's resource.
  // Defaults to the publish address, or the Docker host's name when ports bind to every interface.
  publicHost: z.string().regex(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/, { error: "must be a host name or IP address, e.g. mcp.example.com" }).optional(),
  tls: gatewayTlsSchema.default(gatewayTlsSchema.parse({})),
  // Browser origins allowed to call the routes; a request with any other Origin gets 403 (DNS rebinding).
  // Requests without an Origin header (MCP clients outside a browser) are not affected.
  allowedOrigins: z.array(origin).default([]),
  // Internal port (not published) with /metrics (Prometheus), /metrics/clients and /healthz.
  metricsPort: port().default(9101),
  // Removed: a session is routed by the replica its id names (the gateway prefixes it), which needs no table
  // and no expiry. Refused by name, so a stack file that still sets it learns why.
  sessionTtlSeconds: z
    .never({ error: "was removed: sessions are routed by the replica their id names, with no table to expire; delete this key" })
    .optional(),
  // Idle connections kept to each replica, for reuse by the next requests.
  keepaliveConnections: positiveInt().default(16),
  connectTimeoutSeconds: positiveInt().default(5),
  // How long an SSE stream (or a request) may stay silent.
  streamTimeoutSeconds: positiveInt().default(3600),
  // Health: each replica's health route is checked every failTimeoutSeconds; maxFails failed checks or
  // consecutive failed connections take it out. Short, so a replica that is stopped (it drains, answering
  // 503) leaves the rotation before it stops listening, and a new one enters it before the next is replaced.
  maxFails: positiveInt().default(3),
  failTimeoutSeconds: positiveInt().default(1),
  // How long a DNS answer for a replica's alias is trusted before HAProxy asks Docker's DNS again: a
  // replaced replica has a new address under the same alias.
  dnsValidSeconds: positiveInt().default(1),
  maxRequestBodyMb: positiveInt().default(10),
  // How often the gateway looks for a changed config to reload in place.
  reloadPollSeconds: positiveInt().default(2),
});

// The runbook's alert thresholds.
export const alertsSchema = z.strictObject({
  responseTimeMs: positiveInt().default(5000),
  errorRate: ratio().default(0.1),
  consecutiveFailures: positiveInt().default(3),
  memoryUsage: ratio().default(0.9),
  cpuUsage: ratio().default(0.8),
});

// Why the off-host REST repository's URL cannot be used, or undefined when it can: https (the copy
// leaves the host), and no credentials in it (they are a secret: username and passwordKey).
export function restUrlProblem(u: string): string | undefined {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return `must be the REST server's https:// URL, e.g. https://backup.example.net:8000/mcp-prod/ (got "${u}")`;
  }
  if (url.protocol !== "https:")
    return `must be an https:// URL (got ${url.protocol}//…): the copy and the server's password leave the host, so TLS is required`;
  if (url.username || url.password)
    return "must not carry credentials: set backup.offsite.rest.username, and the password as a secret config key named by backup.offsite.rest.passwordKey";
  if (url.search || url.hash) return "must be the repository's URL without a query or fragment";
  return undefined;
}

// Backups (components/backup): each run a verified restic snapshot, Neo4j's online export included.
export const backupScheduleSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, { error: "must be a short lowercase name such as hourly" }),
  // Five fields, UTC, numbers with * , - / (what the container's scheduler evaluates); cron-parser checks it.
  cron: z.string({ error: "must be a cron expression such as \"0 * * * *\"" }).superRefine((expr, ctx) => {
    const problem = cronProblem(expr);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
});

export const backupSchema = z.strictObject({
  enabled: bool(true),
  // Recovery point objective: the most data, in minutes, a restore may lose.
  rpoMinutes: positiveInt().default(60),
  // Together they must run at least once every rpoMinutes (crossChecks).
  schedules: z
    .array(backupScheduleSchema, { error: "must be a list of {name, cron}" })
    .min(1, { error: "must name at least one schedule, e.g. [{name: hourly, cron: \"0 * * * *\"}]" })
    .default([{ name: "hourly", cron: "0 * * * *" }]),
  // Snapshots kept (restic forget): the newest of each of the last N hours, days and weeks.
  retention: z
    .strictObject({ hourly: nonNegativeInt().default(24), daily: nonNegativeInt().default(7), weekly: nonNegativeInt().default(4) })
    .default({ hourly: 24, daily: 7, weekly: 4 }),
  // Secret config key holding the restic repository's password; without it one is generated and kept
  // in state (stack output backupPassword).
  passwordKey: secretKeyName.optional(),
  // The restore drill: the latest snapshot into a scratch Neo4j in the backup container, compared with
  // the snapshot's record; weekly by default (UTC, the scheduler's cron form).
  restoreDrill: z
    .strictObject({
      enabled: bool(true),
      cron: z.string({ error: "must be a cron expression such as \"30 3 * * 0\"" }).superRefine((expr, ctx) => {
        const problem = cronProblem(expr);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }).default("30 3 * * 0"),
    })
    .default({ enabled: true, cron: "30 3 * * 0" }),
  // The share of the repository's pack files read back by restic check after each run.
  checkReadDataSubset: z.string().regex(/^([1-9][0-9]?(\.[0-9]+)?%|100%)$/, { error: "must be a percentage such as 10%" }).default("10%"),
  // Off-host copy: a second restic repository (restic copy), either on an NFS export mounted through
  // Docker's local volume driver (the host mounts it), or on a restic REST server (restic's rest-server,
  // rclone serve restic) over TLS with a user and a password.
  offsite: z
    .strictObject({
      nfs: z
        .strictObject({
          address: text("a host name or IP address of the NFS server"),
          path: z.string().regex(/^\/[^\s:]*$/, { error: "must be the exported path, e.g. /export/mcp-backups" }),
          options: z.string().default("nfsvers=4,soft,timeo=600"),
        })
        .optional(),
      rest: z
        .strictObject({
          url: z.string({ error: "must be the REST server's https:// URL, e.g. https://backup.example.net:8000/mcp-prod/" }).superRefine((u, ctx) => {
            const problem = restUrlProblem(u);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
          username: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: "must be the REST server's user name (letters, digits, '.', '_' or '-')" }),
          // The secret config key holding that user's password (the server's htpasswd entry).
          passwordKey: secretKeyName,
          // PEM of the CA that signed the server's certificate, when it is not a public one.
          caCertificate: z
            .string()
            .regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/, { error: "must be a PEM certificate (-----BEGIN CERTIFICATE----- …)" })
            .optional(),
        })
        .optional(),
    })
    .superRefine((o, ctx) => {
      if (Boolean(o.nfs) === Boolean(o.rest))
        ctx.addIssue({ code: "custom", message: "must set exactly one of nfs (an NFS export) or rest (a restic REST server), e.g. {rest: {url: \"https://backup.example.net:8000/mcp-prod/\", username: mcp, passwordKey: backupRestPassword}}" });
    })
    .optional(),
  // Defaults to an image built from neo4j.image plus restic (components/backup/image): its cypher-shell,
  // neo4j-admin and scratch server match the running one.
  image: imageSource.image,
  // Reads the volumes it copies: the MCP servers' uid by default.
  user: z.string().regex(/^\d+(:\d+)?$/, { error: "must be a numeric uid or uid:gid, e.g. 1000:1000" }).default("1000:1000"),
  // cypher-shell is a JVM, and the restore drill runs a scratch Neo4j (a third of this as heap) beside it.
  memoryMb: positiveInt().default(1536),
  cpus: positiveNumber().default(0.5),
});

// Host firewall for the published ports (Docker's ports bypass ufw): rules in Docker's DOCKER-USER chain on the Docker host.
const cidrError = { error: "must be an IPv4 address or CIDR, e.g. 203.0.113.0/24" };
const ipv4Cidr = z.union([z.cidrv4(cidrError), z.ipv4(cidrError).transform((a) => `${a}/32`)], cidrError);
export const firewallSchema = z.strictObject({
  enabled: bool(true),
  // Interface the outside traffic arrives on; everything else arriving there for a container is dropped.
  externalInterface: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,15}$/, { error: "must be a network interface name such as eth0 (ip -br link lists them)" })
    .default("eth0"),
  // Source addresses allowed to reach every published port...
  allowFrom: z.array(ipv4Cidr).min(1, { error: "must list at least one CIDR (0.0.0.0/0 for anyone)" }).default(["0.0.0.0/0"]),
  // ...unless a port has its own list here (host port -> CIDRs).
  portSources: z
    .record(z.string().regex(/^\d{1,5}$/, { error: "must be a published host port number" }), z.array(ipv4Cidr).min(1, { error: "must list at least one CIDR" }))
    .default({}),
  // Secret config key holding the SSH private key for an ssh:// dockerHost; without it the SSH agent is used.
  sshPrivateKey: secretKeyName.optional(),
});

// Checks run after every `pulumi up`: health and an MCP handshake through the public URLs.
export const verifySchema = z.strictObject({
  enabled: bool(true),
  // How long each service may take to pass before the update fails.
  timeoutSeconds: positiveInt().default(120),
});

export const swarmSchema = z.strictObject({
  // Stateful services (Neo4j, data services, backups) are placed on the node with this label set to true:
  // docker node update --label-add mcp-platform.state=true <node>
  stateNodeLabel: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { error: "must be a node label name such as mcp-platform.state" }).default("mcp-platform.state"),
  // IPsec between nodes on the backend overlay (Neo4j's traffic).
  encryptBackend: bool(true),
  // Where the images this program builds are pushed, so that every node can pull them by digest: a Swarm
  // node runs only what it can pull, and a locally built image exists on the manager alone. A registry
  // host with an optional port and path (registry.example.com/team); http:// for a registry served
  // without TLS (one the engines list under insecure-registries, or on loopback).
  registry: z
    .string()
    .regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d{1,5})?(\/[a-z0-9._-]+)*$/, { error: "must be a registry host with an optional port and path, e.g. registry.example.com:5000/team (http:// for one without TLS)" })
    .optional(),
});

export const loggingSchema = z.strictObject({
  maxSize: z.string().regex(/^\d+[kmg]$/, { error: "must be a size such as 10m" }).default("10m"),
  maxFile: positiveInt().default(3),
});

export const restartSchema = z.strictObject({
  // unless-stopped: Docker brings every service back after a daemon restart. With on-failure, a container
  // that exited 0 when the daemon stopped it cleanly stays down (seen on Docker 26).
  policy: z.enum(["on-failure", "unless-stopped"], { error: "must be on-failure or unless-stopped" }).default("unless-stopped"),
  // CIS 5.15: at most 5 retries with on-failure.
  maxRetries: positiveInt().pipe(z.number().max(5, { error: "must be at most 5 (CIS Docker 5.15)" })).default(5),
});

// Presets for the PA ecosystem's three MCP servers: a stack names only what differs.
export const MCP_SERVER_PRESETS: Record<string, Record<string, unknown>> = {
  gmail: {
    // The PA ecosystem's HTTP fork of @gongrzhe/server-gmail-autoauth-mcp 1.1.11 (node:20-slim).
    build: { context: "gmail-mcp" },
    runtime: "node",
    // node:20-slim has bash: a `node -e` check each 15 s would take about 50 MB of the server's 256.
    healthcheckTool: "bash",
    command: ["node", "dist/server-http.js"],
    port: 8080,
    path: "/mcp",
    publishedPort: 8080,
    rateLimitPerMinute: 100,
    memoryMb: 256,
    cpus: 0.5,
    user: "1000:1000",
    env: {
      MCP_SERVER_NAME: "gmail-tools",
      MCP_SERVER_VERSION: "1.1.11",
      GMAIL_OAUTH_PATH: "/app/config/gcp-oauth.keys.json",
      GMAIL_CREDENTIALS_PATH: "/app/data/credentials.json",
    },
    secretFiles: { "/app/config/gcp-oauth.keys.json": "gmailOauthKeys" },
    dataVolume: { path: "/app/data" },
  },
  graphiti: {
    // getzep/graphiti's MCP server; -standalone talks to an external Neo4j (plain tags bundle FalkorDB).
    image: "zepai/knowledge-graph-mcp:1.0.1-standalone",
    runtime: "python",
    // Its Dockerfile.standalone is FROM python:3.11-slim-bookworm (bash): about 3 MB a check, not Python's 20.
    healthcheckTool: "bash",
    // The image's CMD is `uv run --no-sync main.py`, with uv under /root (mode 0700): a non-root user
    // cannot reach it, so run the project's virtualenv directly (WORKDIR is /app/mcp).
    command: ["/app/mcp/.venv/bin/python", "main.py"],
    port: 8000,
    // FastMCP (mcp >= 1.12, what the 1.0.1 image is built with) serves /mcp and answers /mcp/ with a 307
    // to a URL built from the Host header, which a proxy in front breaks: use /mcp.
    path: "/mcp",
    publishedPort: 8082,
    // uvicorn stops at once on SIGTERM: a Swarm update cut a request the gateway had just sent it.
    drainSeconds: 5,
    rateLimitPerMinute: 200,
    memoryMb: 512,
    cpus: 1,
    user: "1000:1000",
    // graphiti 1.0.1 reads its settings with pydantic-settings (nested keys joined by `__`): the baked
    // config says database.provider falkordb, so an external Neo4j needs DATABASE__PROVIDER; the model is
    // LLM__MODEL (MODEL_NAME, which the runbook sets, is not read).
    env: {
      MCP_SERVER_NAME: "graphiti-tools",
      DATABASE__PROVIDER: "neo4j",
      LLM__MODEL: "gpt-4.1-mini",
      GRAPHITI_TELEMETRY_ENABLED: "false",
      SEMAPHORE_LIMIT: "10",
    },
    secretEnv: { OPENAI_API_KEY: "openaiApiKey" },
    neo4j: {},
  },
  rag: {
    build: { context: "rag-mcp" },
    runtime: "node",
    // node:20-slim has bash: a `node -e` check each 15 s would take about 50 MB of the server's 256.
    healthcheckTool: "bash",
    command: ["node", "dist/server-http.js"],
    // The runbook gives rag and graphiti the same port 8082; rag gets 8084 on the host.
    port: 8082,
    path: "/mcp",
    publishedPort: 8084,
    rateLimitPerMinute: 150,
    memoryMb: 256,
    cpus: 0.5,
    user: "1000:1000",
    env: { MCP_SERVER_NAME: "rag-tools", EMBEDDING_MODEL: "text-embedding-ada-002" },
    dataVolume: { path: "/app/data" },
  },
};

// Common env of the PA ecosystem's MCP servers (from its compose file); PORT and paths are filled per server.
export const MCP_COMMON_ENV = {
  MCP_SERVER_HOST: "0.0.0.0",
  MCP_LOG_LEVEL: "INFO",
  MCP_LOG_FORMAT: "json",
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// Merge a stack's partial server settings over its preset; maps (env, secretEnv…) merge key by key.
function withPreset(name: string, value: unknown): unknown {
  const preset = MCP_SERVER_PRESETS[name];
  if (!preset || !isPlainObject(value)) return value;
  const merged: Record<string, unknown> = { ...preset, ...value };
  for (const key of ["env", "secretEnv", "secretFiles", "uses", "build", "neo4j"]) {
    if (isPlainObject(preset[key]) && isPlainObject(value[key])) merged[key] = { ...preset[key], ...value[key] };
  }
  // A stack that pulls an image must not inherit the preset's build (or the reverse).
  if ("image" in value && !("build" in value)) delete merged.build;
  if ("build" in value && !("image" in value)) delete merged.image;
  return merged;
}

export const PRESET_NAMES = Object.keys(MCP_SERVER_PRESETS);

// The stack's settings with the presets it runs merged in: each preset named in `presets` (all of them
// unless the stack says otherwise) under its own name, then the servers the stack declares itself.
// A stack with `presets: []` runs only the servers it declares.
export function withPresets(input: unknown): unknown {
  if (!isPlainObject(input)) return input;
  const presets = Array.isArray(input.presets) ? input.presets.filter((n): n is string => typeof n === "string" && n in MCP_SERVER_PRESETS) : PRESET_NAMES;
  const given = input.services === undefined ? {} : input.services;
  if (!isPlainObject(given)) return input;
  const services: Record<string, unknown> = {};
  for (const name of presets) services[name] = withPreset(name, given[name] ?? {});
  for (const [name, value] of Object.entries(given)) if (!(name in services)) services[name] = value;
  return { ...input, services };
}

// The settings themselves; platformSchema below merges the presets in first.
export const platformObject = z
  .strictObject({
    environment: z.enum(["dev", "prod"], { error: "must be dev or prod" }).default("dev"),
    // host: containers on one Docker engine; swarm: services on a Docker Swarm.
    mode: z.enum(["host", "swarm"], { error: "must be host or swarm" }).default("host"),
    dockerHost: dockerHost.default("unix:///var/run/docker.sock"),
    // Interface the published ports bind to (CIS 5.14).
    publishAddress: hostAddress.default("127.0.0.1"),
    // Stateful volumes get `protect` so `pulumi destroy` cannot delete them.
    protectVolumes: bool(false),
    // The user's ai-PA checkout: build contexts are relative to it.
    sourceRoot: z.string().min(1).default("../ai-PA"),
    swarm: swarmSchema.default(swarmSchema.parse({})),
    logging: loggingSchema.default(loggingSchema.parse({})),
    restart: restartSchema.default(restartSchema.parse({})),
    neo4j: neo4jSchema.default(neo4jSchema.parse({})),
    // Which of the PA presets (gmail, graphiti, rag) the stack runs; [] for only the servers it declares.
    presets: z
      .array(z.enum(PRESET_NAMES as [string, ...string[]], { error: `must name presets: ${PRESET_NAMES.join(", ")}` }), {
        error: `must be a list of preset names, e.g. [${PRESET_NAMES.join(", ")}], or [] for none`,
      })
      .default(PRESET_NAMES),
    services: z.record(serviceName, mcpServerSchema, { error: "must be a map of MCP server name to settings" }).default({}),
    dataServices: z.record(serviceName, dataServiceSchema).default({}),
    healthMonitor: healthMonitorSchema.default(healthMonitorSchema.parse({})),
    alerts: alertsSchema.default(alertsSchema.parse({})),
    backup: backupSchema.default(backupSchema.parse({})),
    gateway: gatewaySchema.default(gatewaySchema.parse({})),
    firewall: firewallSchema.default(firewallSchema.parse({})),
    verify: verifySchema.default(verifySchema.parse({})),
  });

export const platformSchema = z.preprocess(withPresets, platformObject);

export type PlatformConfig = z.infer<typeof platformSchema>;
export type McpServerConfig = z.infer<typeof mcpServerSchema>;
export type DataServiceConfig = z.infer<typeof dataServiceSchema>;
export type Neo4jConfig = z.infer<typeof neo4jSchema>;
export type HealthMonitorConfig = z.infer<typeof healthMonitorSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;

export interface ConfigProblem {
  path: string;
  message: string;
}

// Rules across settings, checked after each setting parses so that they are reported with the rest.
export function crossChecks(c: PlatformConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const dataNames = new Set(Object.keys(c.dataServices));
  const enabledServers = Object.entries(c.services).filter(([, s]) => s.enabled);
  for (const [name, s] of enabledServers) {
    for (const [env, target] of Object.entries(s.uses)) {
      if (!dataNames.has(target))
        problems.push({
          path: `services.${name}.uses.${env}`,
          message: `names "${target}", which is not a data service: declare it under dataServices.${target} or remove this entry`,
        });
    }
  }
  for (const name of dataNames) {
    if (name in c.services || RESERVED_NAMES.includes(name))
      problems.push({ path: `dataServices.${name}`, message: "is already the name of another service; choose another name" });
  }
  for (const name of Object.keys(c.services))
    if (RESERVED_NAMES.includes(name))
      problems.push({ path: `services.${name}`, message: "is a name the platform uses for its own services; choose another name" });
  try {
    neo4jMemory(c.neo4j.memoryMb, c.neo4j);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    problems.push({ path: "neo4j.heapMb", message: `is too large: ${e.message}` });
  }
  if (c.mode === "host" && c.gateway.replicas > 1)
    problems.push({ path: "gateway.replicas", message: "must be 1 on one Docker host (one gateway holds the published ports); several gateways need swarm mode" });
  if (c.mode === "swarm") {
    if (c.publishAddress !== "0.0.0.0" && c.publishAddress !== "::")
      problems.push({
        path: "publishAddress",
        message: `is ${c.publishAddress}, but Swarm cannot bind a published port to one address: set it to 0.0.0.0 and restrict sources with the firewall`,
      });
    // Swarm delivers secrets as files; an image that reads one from env gets it through the entrypoint
    // shim, which must know the command to run after it.
    for (const [name, s] of enabledServers)
      if (Object.keys(s.secretEnv).length && !s.command)
        problems.push({ path: `services.${name}.command`, message: "is required in swarm mode for a server with secretEnv: set the image's command, e.g. [\"node\", \"dist/server.js\"]" });
    for (const [name, d] of Object.entries(c.dataServices))
      if (d.enabled && Object.keys(d.secretEnv).length && !d.command)
        problems.push({ path: `dataServices.${name}.command`, message: "is required in swarm mode for a service with secretEnv: set the image's command" });
    // Images the program builds exist only on the manager; nodes pull them from a registry, by digest.
    const built = builtImages(c);
    if (built.length && !c.swarm.registry)
      problems.push({
        path: "swarm.registry",
        message: `is required in swarm mode when the program builds images (${built.join(", ")}): set it to a registry every node can pull from, e.g. registry.example.com:5000, or set those services' image to a pushed reference`,
      });
    // The gateway publishes host-mode ports, one task per node, and so updates stop-first on each node:
    // another gateway must serve meanwhile.
    if (c.gateway.replicas < 2)
      problems.push({
        path: "gateway.replicas",
        message: `is ${c.gateway.replicas}, but swarm mode needs 2 or more gateways on separate nodes: each updates stop-first (it holds the published ports on its node), and another must serve meanwhile`,
      });
  }
  // Backups must run at least once per RPO: the longest gap between two runs is at most rpoMinutes.
  if (c.backup.enabled) {
    const gap = longestGapMinutes(c.backup.schedules.map((s) => s.cron));
    if (gap > c.backup.rpoMinutes)
      problems.push({
        path: "backup.schedules",
        message:
          `leave up to ${describeMinutes(gap)} between two backups, more than backup.rpoMinutes (${c.backup.rpoMinutes}): ` +
          `schedule a run at least every ${c.backup.rpoMinutes} minutes (e.g. "0 * * * *" for hourly) or raise backup.rpoMinutes`,
      });
  }
  // Host ports must be unique: the runbook gave 8082 to two services.
  const owners = new Map<number, string>();
  for (const [p, key] of publishedPortClaims(c)) {
    const first = owners.get(p);
    if (first) problems.push({ path: key, message: `uses host port ${p}, already used by ${first}: give each published service its own port` });
    else owners.set(p, key);
  }
  problems.push(...firewallProblems(c));
  problems.push(...gatewayProblems(c));
  return problems;
}

// What the program builds from a directory rather than pulls: services, data services and the monitor.
export function builtImages(c: PlatformConfig): string[] {
  const out: string[] = [];
  for (const [name, s] of Object.entries(c.services)) if (s.enabled && s.build) out.push(`services.${name}`);
  for (const [name, d] of Object.entries(c.dataServices)) if (d.enabled && d.build) out.push(`dataServices.${name}`);
  if (c.healthMonitor.enabled && !c.healthMonitor.image) out.push("healthMonitor");
  // Built FROM the Neo4j image unless backup.image names a pushed one.
  if (c.backup.enabled && !c.backup.image) out.push("backup");
  return out;
}

export const isLoopback = (address: string) => /^127\./.test(address) || address === "::1";

export type AuthConfig = z.infer<typeof authSchema>;

// Every route the gateway publishes: its port, the setting that chose it, and its auth settings' key.
export function publishedRoutes(c: PlatformConfig): { port: number; claim: string; authKey: string; auth: AuthConfig }[] {
  const routes: { port: number; claim: string; authKey: string; auth: AuthConfig }[] = [];
  for (const [port, claim] of publishedPortClaims(c)) {
    const name = /^services\.([^.]+)\.publishedPort$/.exec(claim)?.[1];
    if (name) routes.push({ port, claim, authKey: `services.${name}.auth`, auth: c.services[name]!.auth });
    else routes.push({ port, claim, authKey: "healthMonitor.auth", auth: c.healthMonitor.auth });
  }
  return routes;
}

// TLS and authentication on what the gateway publishes: nothing beyond loopback without both, and a
// prod stack never without TLS (or a declared TLS-terminating load balancer in front).
function gatewayProblems(c: PlatformConfig): ConfigProblem[] {
  const routes = publishedRoutes(c);
  if (routes.length === 0) return [];
  const problems: ConfigProblem[] = [];
  const t = c.gateway.tls;
  const beyondLoopback = !isLoopback(c.publishAddress);
  const where = beyondLoopback ? `publishAddress ${c.publishAddress} reaches beyond loopback` : "a prod stack";
  if ((beyondLoopback || c.environment === "prod") && !t.certificate && !t.terminatedBy)
    problems.push({
      path: t.selfSigned ? "gateway.tls.selfSigned" : "gateway.tls.certificate",
      message: t.selfSigned
        ? `is true, but ${where}: a self-signed pair is for loopback in dev only. Set gateway.tls.certificate and gateway.tls.privateKey to the secret config keys of your certificate and key`
        : `is not set, but ${where} and would serve MCP over plain HTTP: set gateway.tls.certificate and gateway.tls.privateKey to secret config keys holding the PEM certificate chain and key (pulumi config set --secret tlsCertificate < cert.pem), or declare gateway.tls.terminatedBy.reason if a load balancer in front terminates TLS`,
    });
  for (const r of routes) {
    if (r.auth.mode !== "none") continue;
    if (beyondLoopback)
      problems.push({
        path: `${r.authKey}.mode`,
        message: `is none, but port ${r.port} is published on ${c.publishAddress}, beyond loopback: every route reachable from outside needs authentication. Set it to apiKey or oauth`,
      });
    const sources = c.firewall.portSources[String(r.port)] ?? c.firewall.allowFrom;
    if (c.firewall.enabled && sources.includes("0.0.0.0/0"))
      problems.push({
        path: c.firewall.portSources[String(r.port)] ? `firewall.portSources.${r.port}` : "firewall.allowFrom",
        message: `allows 0.0.0.0/0 (anyone) to port ${r.port}, whose route has no authentication (${r.authKey}.mode none): set ${r.authKey}.mode to apiKey or oauth, or list the networks that may connect`,
      });
  }
  if (routes.some((r) => r.port === c.gateway.metricsPort))
    problems.push({ path: "gateway.metricsPort", message: `is ${c.gateway.metricsPort}, which is also a published port: choose another internal port for the metrics` });
  return problems;
}

// The firewall runs commands on the Docker host: locally (unix://) or over SSH (ssh://), and only
// filters ports the platform publishes.
function firewallProblems(c: PlatformConfig): ConfigProblem[] {
  if (!c.firewall.enabled) return [];
  const problems: ConfigProblem[] = [];
  if (!/^(unix|ssh):\/\//.test(c.dockerHost))
    problems.push({
      path: "firewall.enabled",
      message: `needs a Docker host it can run iptables on, unix:// (this machine) or ssh://user@host (got dockerHost ${c.dockerHost}): change dockerHost or set firewall.enabled to false`,
    });
  const published = new Set(publishedPortClaims(c).map(([p]) => String(p)));
  for (const p of Object.keys(c.firewall.portSources))
    if (!published.has(p))
      problems.push({ path: `firewall.portSources.${p}`, message: `is not a published port (published: ${[...published].join(", ")}): remove it or fix the port` });
  return problems;
}

// Services whose names the platform itself uses (network aliases must stay unique).
export const RESERVED_NAMES = ["neo4j", "gateway", "health-monitor", "backup"];

// Every host port the platform publishes (the gateway publishes them all), with the setting that chose it.
export function publishedPortClaims(c: PlatformConfig): [number, string][] {
  const claims: [number, string][] = [];
  for (const [name, s] of Object.entries(c.services)) if (s.enabled) claims.push([s.publishedPort, `services.${name}.publishedPort`]);
  if (c.healthMonitor.enabled) claims.push([c.healthMonitor.publishedPort, "healthMonitor.publishedPort"]);
  return claims;
}

// Secret config keys the settings refer to, with the setting that needs each.
export function requiredSecrets(c: PlatformConfig): { key: string; neededBy: string; fromFile?: string }[] {
  const out: { key: string; neededBy: string; fromFile?: string }[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    if (!s.enabled) continue;
    for (const [env, key] of Object.entries(s.secretEnv)) out.push({ key, neededBy: `services.${name}.secretEnv.${env}` });
    for (const [path, key] of Object.entries(s.secretFiles)) out.push({ key, neededBy: `services.${name}.secretFiles.${path}`, fromFile: path });
  }
  for (const [name, d] of Object.entries(c.dataServices)) {
    if (!d.enabled) continue;
    for (const [env, key] of Object.entries(d.secretEnv)) out.push({ key, neededBy: `dataServices.${name}.secretEnv.${env}` });
  }
  if (c.firewall.enabled && c.firewall.sshPrivateKey && c.dockerHost.startsWith("ssh://"))
    out.push({ key: c.firewall.sshPrivateKey, neededBy: "firewall.sshPrivateKey", fromFile: "~/.ssh/id_ed25519" });
  if (c.backup.enabled && c.backup.passwordKey) out.push({ key: c.backup.passwordKey, neededBy: "backup.passwordKey" });
  if (c.backup.enabled && c.backup.offsite?.rest) out.push({ key: c.backup.offsite.rest.passwordKey, neededBy: "backup.offsite.rest.passwordKey" });
  if (c.healthMonitor.enabled && c.healthMonitor.alertWebhookKey) out.push({ key: c.healthMonitor.alertWebhookKey, neededBy: "healthMonitor.alertWebhookKey" });
  if (c.healthMonitor.enabled && c.healthMonitor.gatewayTokenKey) out.push({ key: c.healthMonitor.gatewayTokenKey, neededBy: "healthMonitor.gatewayTokenKey" });
  if (publishedPortClaims(c).length > 0) {
    const t = c.gateway.tls;
    if (t.certificate) out.push({ key: t.certificate, neededBy: "gateway.tls.certificate", fromFile: "cert.pem" });
    if (t.privateKey) out.push({ key: t.privateKey, neededBy: "gateway.tls.privateKey", fromFile: "key.pem" });
  }
  return out;
}
