// mcp-platform: read the stack's configuration, build the platform, export what a user needs.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config/stack";
import { Platform } from "./components/platform";

const { config, secretKeys } = loadStackConfig();
const platform = new Platform("mcp-platform", { config, secretKeys });

export const environment = config.environment;
export const dashboardUrl = platform.dashboardUrl;
export const healthApiUrl = platform.healthApiUrl;
export const mcpServers = platform.endpoints;
export const networks = { backend: platform.networks.backend.name, frontend: platform.networks.frontend.name };
export const volumes = platform.volumes;
// Gateway credentials: each apiKey route's client keys (secret: `pulumi stack output --show-secrets apiKeys`)
// and the certificate the gateway presents (to trust a self-signed one in dev).
export const apiKeys = platform.gateway && Object.keys(platform.gateway.apiKeys).length ? pulumi.secret(platform.gateway.apiKeys) : undefined;
export const gatewayCertificate = platform.gateway?.certificate;
