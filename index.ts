// mcp-platform: read the stack's configuration, ask the Docker engine what it supports, build the
// platform, export what a user needs.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config/stack";
import { probeEngine } from "./components/container/engine";
import { Platform } from "./components/platform";
import { withShortStacks } from "./components/platform/stacks";

const { config, secretKeys } = loadStackConfig();

const platform = (async () => {
  const engine = await probeEngine(config.dockerHost);
  const p = withShortStacks(() => new Platform("mcp-platform", { config, secretKeys, engine: engine.features }));
  // On the platform's component, so previews and updates show it with the rest of its diagnostics.
  if (engine.notice) void pulumi.log.warn(engine.notice, p);
  return p;
})();

const output = <T>(pick: (p: Platform) => pulumi.Input<T>) => pulumi.output(platform.then(pick));

export const environment = config.environment;
export const dashboardUrl = output((p) => p.dashboardUrl);
export const healthApiUrl = output((p) => p.healthApiUrl);
export const mcpServers = output((p) => p.endpoints);
export const networks = output((p) => ({ backend: p.networks.backend.name, frontend: p.networks.frontend.name }));
export const volumes = output((p) => p.volumes);
// Gateway credentials: each apiKey route's client keys (secret: `pulumi stack output --show-secrets apiKeys`)
// and the certificate the gateway presents (to trust a self-signed one in dev).
export const apiKeys = output((p) => (p.gateway && Object.keys(p.gateway.apiKeys).length ? pulumi.secret(p.gateway.apiKeys) : undefined));
export const gatewayCertificate = output((p) => p.gateway?.certificate);
// The backups' restic repository password (secret): keep a copy off the host, since the repository is
// unreadable without it (`pulumi stack output --show-secrets backupPassword`).
export const backupPassword = output((p) => (p.backup ? pulumi.secret(p.backup.password) : undefined));
