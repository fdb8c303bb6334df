// What the checks look at: each service's public health URL and, for MCP servers, the MCP URL. Kept apart
// from the checks so that the Pulumi program can build the list without loading the MCP SDK.

export interface ServiceEndpoint {
  name: string;
  healthUrl: string;
  // Present for MCP servers.
  mcpUrl?: string;
}

// The checks for a stack, from its outputs (`pulumi stack output --json`): every MCP server, and the
// health monitor (its /health next to the dashboard).
export function endpointsFromOutputs(outputs: unknown): ServiceEndpoint[] {
  const o = (typeof outputs === "object" && outputs !== null ? outputs : {}) as Record<string, unknown>;
  const servers = (o.mcpServers ?? {}) as Record<string, { url?: unknown; healthUrl?: unknown }>;
  const out: ServiceEndpoint[] = [];
  for (const [name, s] of Object.entries(servers)) {
    if (typeof s?.url !== "string" || typeof s.healthUrl !== "string")
      throw new Error(`the stack output mcpServers.${name} has no url and healthUrl; is this an mcp-platform stack?`);
    out.push({ name, healthUrl: s.healthUrl, mcpUrl: s.url });
  }
  if (typeof o.dashboardUrl === "string") out.push({ name: "health-monitor", healthUrl: new URL("/health", o.dashboardUrl).toString() });
  if (out.length === 0) throw new Error("the stack outputs name no service (no mcpServers, no dashboardUrl); has the stack been deployed?");
  return out;
}

export function parseEndpoints(json: string): ServiceEndpoint[] {
  const value = JSON.parse(json) as unknown;
  if (!Array.isArray(value)) throw new Error("--endpoints must be a JSON array of {name, healthUrl, mcpUrl?}");
  return value.map((v, i) => {
    const e = v as Partial<ServiceEndpoint>;
    if (typeof e?.name !== "string" || typeof e.healthUrl !== "string" || (e.mcpUrl !== undefined && typeof e.mcpUrl !== "string"))
      throw new Error(`--endpoints[${i}] must be {name, healthUrl, mcpUrl?} with string values`);
    return { name: e.name, healthUrl: e.healthUrl, ...(e.mcpUrl ? { mcpUrl: e.mcpUrl } : {}) };
  });
}
