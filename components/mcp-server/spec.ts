// An MCP server (gmail, graphiti, rag, or one the stack adds) as a WorkloadSpec.
import type * as pulumi from "@pulumi/pulumi";
import { MCP_COMMON_ENV, type McpServerConfig } from "../config/schema";
import { httpHealthcheck, type FileSpec, type NetworkAttachment, type NetworkRef, type WorkloadSpec } from "../container/spec";

// V8's old space gets 75% of the container limit; the rest is for buffers, code and the runtime itself,
// so Node collects garbage before the kernel's OOM killer steps in.
export const NODE_HEAP_SHARE = 0.75;

export function nodeOptions(memoryMb: number): string {
  return `--max-old-space-size=${Math.max(16, Math.floor(memoryMb * NODE_HEAP_SHARE))}`;
}

export interface McpServerInputs {
  image: pulumi.Input<string>;
  // Network name by key: frontend always; backend when it talks to Neo4j or a data service.
  networks: { frontend: NetworkRef; backend: NetworkRef };
  dataVolume?: pulumi.Input<string>;
  // Secret config values by key name.
  secrets: Record<string, pulumi.Output<string>>;
  // URL of each data service by name.
  dataServiceUrls: Record<string, string>;
  neo4j?: { uri: string; user: string; password: pulumi.Output<string> };
}

export function mcpServerEnv(name: string, s: McpServerConfig, inputs: Pick<McpServerInputs, "dataServiceUrls" | "neo4j">): Record<string, string> {
  const env: Record<string, string> = {
    ...MCP_COMMON_ENV,
    MCP_SERVER_NAME: `${name}-tools`,
    MCP_SERVER_PORT: String(s.port),
    PORT: String(s.port),
    MCP_SERVER_PATH: s.path,
    // The PA ecosystem's gmail fork reads its endpoint from MCP_PATH, not MCP_SERVER_PATH.
    MCP_PATH: s.path,
    MCP_HEALTH_CHECK_PATH: s.healthPath,
    ...s.env,
  };
  for (const [envName, service] of Object.entries(s.uses)) {
    const url = inputs.dataServiceUrls[service];
    if (url) env[envName] = url;
  }
  if (s.neo4j && inputs.neo4j) {
    env[s.neo4j.uriEnv] = inputs.neo4j.uri;
    env[s.neo4j.userEnv] = inputs.neo4j.user;
  }
  if (s.runtime === "node") env.NODE_OPTIONS = nodeOptions(s.memoryMb);
  return env;
}

// Servers that reach Neo4j or a data service join the backend network; the rest stay off it.
export function needsBackend(s: McpServerConfig): boolean {
  return Boolean(s.neo4j) || Object.keys(s.uses).length > 0;
}

export function mcpServerSpec(name: string, s: McpServerConfig, inputs: McpServerInputs): WorkloadSpec {
  const secretEnv: Record<string, pulumi.Output<string>> = {};
  for (const [envName, key] of Object.entries(s.secretEnv)) secretEnv[envName] = requireSecret(inputs.secrets, key);
  if (s.neo4j && inputs.neo4j) secretEnv[s.neo4j.passwordEnv] = inputs.neo4j.password;
  const files: FileSpec[] = Object.entries(s.secretFiles).map(([path, key]) => ({
    path,
    content: requireSecret(inputs.secrets, key),
    secret: true,
  }));
  // On the frontend the gateway reaches each replica by its own alias (gmail-1, gmail-2, ...).
  const networks: NetworkAttachment[] = [
    { network: "frontend", ref: inputs.networks.frontend, aliases: [name], replicaAliases: true },
  ];
  if (needsBackend(s)) networks.push({ network: "backend", ref: inputs.networks.backend, aliases: [name] });
  const healthTool = s.healthcheckTool ?? (s.runtime === "node" ? "node" : s.runtime === "python" ? "python" : "wget");
  return {
    service: name,
    component: "mcp-server",
    image: inputs.image,
    command: s.command,
    user: s.user,
    replicas: s.replicas,
    memoryMb: s.memoryMb,
    memoryReservationMb: s.memoryReservationMb ?? Math.floor(s.memoryMb / 2),
    cpus: s.cpus,
    env: mcpServerEnv(name, s, inputs),
    secretEnv,
    files,
    volumes:
      s.dataVolume && inputs.dataVolume
        ? [{ volume: `${name}-data`, volumeName: inputs.dataVolume, path: s.dataVolume.path, readOnly: false }]
        : [],
    readOnlyRootFilesystem: s.readOnlyRootFilesystem,
    tmpfs: s.tmpfs,
    capAdd: s.capAdd.map((capability) => ({ capability, reason: `services.${name}.capAdd` })),
    networks,
    // Published only through the gateway.
    ports: [],
    healthcheck: httpHealthcheck(s.port, s.healthPath, healthTool),
    stateful: false,
    drainSeconds: s.drainSeconds,
  };
}

function requireSecret(secrets: Record<string, pulumi.Output<string>>, key: string): pulumi.Output<string> {
  const value = secrets[key];
  if (!value) throw new Error(`secret ${key} was not loaded (the config loader should have reported it)`);
  return value;
}
