// The monitor's configuration file (/app/config/monitor.json): everything it watches and every threshold,
// written by the Pulumi program from the stack (components/health-monitor/targets.ts builds it), so that
// adding a server in the stack's config adds it here with no change to this code.
import * as fs from "fs";
import { z } from "zod";

// The MCP protocol revisions the SDK this monitor is built with can speak (a probe asks for each).
export const PROBE_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"] as const;

const name = z.string().regex(/^[a-z0-9][a-z0-9@._-]*$/);
const url = z.string().url();
// A file holding a secret (a bearer token, a webhook URL): read at each use, so a rotated secret applies
// without a restart, and never copied into the config, logs or API answers.
const secretFile = z.string().startsWith("/");

// TLS to a server whose certificate names another host than the one dialled (the gateway's certificate
// names its public host; the monitor dials `gateway`), or is signed by a CA of its own.
export const tlsSchema = z.strictObject({
  // The certificate (or CA) to trust besides the public roots.
  caFile: z.string().startsWith("/").optional(),
  // The name the certificate must carry (a DNS name or an IP address).
  serverName: z.string().min(1).optional(),
});

export const httpCheckSchema = z.strictObject({
  type: z.literal("http"),
  url,
  // "2xx": a health endpoint; "below-500": any answer but a server error (a data service's root URL).
  expect: z.enum(["2xx", "below-500"]).default("2xx"),
  bearerTokenFile: secretFile.optional(),
  tls: tlsSchema.optional(),
});

export const mcpCheckSchema = z.strictObject({
  type: z.literal("mcp"),
  url,
  // Each revision is asked for in its own initialize; the first with the SDK's Client as it is.
  protocolVersions: z.array(z.enum(PROBE_PROTOCOL_VERSIONS)).min(1).default(["2025-11-25", "2025-03-26"]),
  bearerTokenFile: secretFile.optional(),
  tls: tlsSchema.optional(),
});

export const boltCheckSchema = z.strictObject({ type: z.literal("bolt"), host: z.string().min(1), port: z.number().int().min(1).max(65535) });
export const tcpCheckSchema = z.strictObject({ type: z.literal("tcp"), host: z.string().min(1), port: z.number().int().min(1).max(65535) });

export const checkSchema = z.discriminatedUnion("type", [httpCheckSchema, mcpCheckSchema, boltCheckSchema, tcpCheckSchema]);

export const TARGET_KINDS = ["mcp-replica", "gateway-route", "neo4j", "data-service", "gateway"] as const;

export const targetSchema = z.strictObject({
  // Unique: gmail-1 (replica 1 of gmail), gmail@gateway (gmail through the gateway), neo4j...
  name,
  // The service it belongs to, as the dashboard and the API group them: gmail, neo4j, gateway...
  service: name,
  kind: z.enum(TARGET_KINDS),
  // service: an MCP server (its down alert is service_down); dependency: what the servers rely on
  // (dependency_failure).
  role: z.enum(["service", "dependency"]),
  checks: z.array(checkSchema).min(1),
  // Docker container id, for memory and CPU figures from its cgroup (host mode only).
  containerId: z.string().regex(/^[0-9a-f]{12,64}$/).optional(),
});

export const monitorConfigSchema = z.strictObject({
  intervalSeconds: z.number().int().min(1).max(3600),
  probeTimeoutMs: z.number().int().min(100).default(10_000),
  // Probes running at once, across targets.
  concurrency: z.number().int().min(1).default(8),
  // The runbook's alert_thresholds, under its names.
  alertThresholds: z.strictObject({
    response_time: z.number().positive(),
    error_rate: z.number().gt(0).max(1),
    consecutive_failures: z.number().int().min(1),
    memory_usage: z.number().gt(0).max(1),
    cpu_usage: z.number().gt(0).max(1),
    // Checks the error rate is taken over.
    error_rate_window: z.number().int().min(2).default(20),
  }),
  targets: z.array(targetSchema),
  backup: z
    .strictObject({
      statusFile: z.string().startsWith("/"),
      rpoMinutes: z.number().int().min(1),
    })
    .optional(),
  // Where the host's cgroup tree is mounted read-only; absent: no memory or CPU figures.
  resources: z.strictObject({ cgroupRoot: z.string().startsWith("/") }).optional(),
  alerts: z
    .strictObject({
      webhookUrlFile: secretFile.optional(),
      // A firing alert is sent again this often while it stays open.
      resendIntervalMinutes: z.number().int().min(1).default(60),
    })
    .default({ resendIntervalMinutes: 60 }),
  history: z
    .strictObject({
      // Where history and alerts are kept across restarts (a small volume); absent: memory only.
      file: z.string().startsWith("/").optional(),
      perTarget: z.number().int().min(1).max(10_000).default(500),
      // Resolved alerts kept.
      resolvedAlerts: z.number().int().min(0).max(10_000).default(200),
    })
    .default({ perTarget: 500, resolvedAlerts: 200 }),
});

export type HttpCheck = z.infer<typeof httpCheckSchema>;
export type TlsOptions = z.infer<typeof tlsSchema>;
export type McpCheck = z.infer<typeof mcpCheckSchema>;
export type BoltCheck = z.infer<typeof boltCheckSchema>;
export type TcpCheck = z.infer<typeof tcpCheckSchema>;
export type Check = z.infer<typeof checkSchema>;
export type Target = z.infer<typeof targetSchema>;
export type TargetKind = (typeof TARGET_KINDS)[number];
export type MonitorConfig = z.infer<typeof monitorConfigSchema>;
// What the program writes (defaults may be left out).
export type MonitorConfigInput = z.input<typeof monitorConfigSchema>;
export type Thresholds = MonitorConfig["alertThresholds"];

export class ConfigFileError extends Error {}

export function parseMonitorConfig(value: unknown, where = "monitor config"): MonitorConfig {
  const r = monitorConfigSchema.safeParse(value);
  if (!r.success)
    throw new ConfigFileError(`${where} is invalid: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  const names = new Set<string>();
  for (const t of r.data.targets) {
    if (names.has(t.name)) throw new ConfigFileError(`${where} is invalid: target ${t.name} appears twice`);
    names.add(t.name);
  }
  return r.data;
}

export function loadMonitorConfig(file: string): MonitorConfig {
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigFileError(`cannot read the monitor config ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new ConfigFileError(`${file} is not JSON: ${(e as Error).message}`);
  }
  return parseMonitorConfig(value, file);
}

// A secret file's value, trimmed; undefined when none is configured.
export function readSecretFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  const v = fs.readFileSync(file, "utf8").trim();
  if (!v) throw new Error(`secret file ${file} is empty`);
  return v;
}
