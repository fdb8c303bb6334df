// The whole platform on one Docker host: networks, Neo4j, data services, MCP servers, the health
// monitor and the gateway, wired from one validated configuration.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BackupCron } from "../backup";
import { resolveBuildContext } from "../config/load";
import { publishedPortClaims, type PlatformConfig } from "../config/schema";
import { secretValue } from "../config/stack";
import type { EngineFeatures } from "../container/engine";
import { DataService } from "../data-service";
import { Gateway } from "../gateway";
import { gatewayHost, routeScheme } from "../gateway/model";
import { GATEWAY_ALIAS } from "../gateway/spec";
import { Firewall } from "../firewall";
import { firewallPlan } from "../firewall/rules";
import { STATUS_FILE } from "../backup/spec";
import { stateVolume } from "../container/volume";
import { HealthMonitor } from "../health-monitor";
import { replicaTargetName } from "../health-monitor/targets";
import { McpServer } from "../mcp-server";
import { Neo4j } from "../neo4j";
import { BOLT_PORT, NEO4J_ALIAS } from "../neo4j/spec";
import { Networks } from "../network";
import { Verification } from "../verify";
import { endpointsFromOutputs } from "../verify/endpoints";

export interface PlatformArgs {
  config: PlatformConfig;
  // Secret config keys the settings refer to; each is read as a secret Output.
  secretKeys: string[];
  // Directory that relative paths (sourceRoot) are taken from; the project directory.
  projectDir?: string;
  // What the Docker engine at dockerHost supports (components/container/engine.ts); unset means current.
  engine?: EngineFeatures;
}

export interface McpServerEndpoint {
  url: string;
  healthUrl: string;
  internalUrl: string;
  replicas: number;
}

export class Platform extends pulumi.ComponentResource {
  readonly networks: Networks;
  readonly neo4j: Neo4j;
  readonly dataServices: Record<string, DataService> = {};
  readonly mcpServers: Record<string, McpServer> = {};
  readonly healthMonitor?: HealthMonitor;
  readonly gateway?: Gateway;
  readonly backup?: BackupCron;
  readonly endpoints: Record<string, McpServerEndpoint> = {};
  readonly dashboardUrl?: string;
  readonly healthApiUrl?: string;
  readonly volumes: Record<string, pulumi.Output<string>> = {};
  readonly firewall?: Firewall;
  readonly verification?: Verification;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:platform:Platform", name, {}, opts);
    const c = args.config;
    const stack = pulumi.getStack();
    const prefix = `mcp-${stack}`;
    const provider = new docker.Provider(`${name}-docker`, { host: c.dockerHost }, { parent: this });
    const child = { parent: this, providers: { docker: provider } };
    const platform = { environment: c.environment, logging: c.logging, restart: c.restart, mode: c.mode, swarm: c.swarm, engine: args.engine };
    const volumeLabels = { "dev.mcp-platform.stack": stack, "dev.mcp-platform.backup": "true" };
    const resolveContext = (context: string) => resolveBuildContext(c, context, args.projectDir);
    const secrets = Object.fromEntries(args.secretKeys.map((k) => [k, secretValue(k)]));

    this.networks = new Networks(
      "networks",
      {
        prefix,
        publishAddress: c.publishAddress,
        labels: { "dev.mcp-platform.stack": stack },
        swarm: c.mode === "swarm" ? { encryptBackend: c.swarm.encryptBackend } : undefined,
      },
      child,
    );
    const backend = this.networks.ref("backend");
    const frontend = this.networks.ref("frontend");

    this.neo4j = new Neo4j(
      "neo4j",
      { config: c.neo4j, platform, backendNetwork: backend, volumePrefix: prefix, protectVolumes: c.protectVolumes, volumeLabels },
      child,
    );
    this.volumes["neo4j-data"] = pulumi.output(this.neo4j.dataVolume);
    this.volumes["neo4j-logs"] = pulumi.output(this.neo4j.logsVolume);

    const dataServiceUrls: Record<string, string> = {};
    for (const [svc, d] of Object.entries(c.dataServices)) {
      if (!d.enabled) continue;
      const ds = new DataService(
        svc,
        { config: d, platform, backendNetwork: backend, secrets, resolveContext, volumePrefix: prefix, protectVolumes: c.protectVolumes, volumeLabels },
        child,
      );
      this.dataServices[svc] = ds;
      dataServiceUrls[svc] = ds.url;
      this.volumes[`${svc}-data`] = pulumi.output(ds.dataVolume);
    }

    // The gateway's URLs: https when it (or a load balancer in front) terminates TLS.
    const host = gatewayHost(c);
    const url = (h: string, port: number, path: string) => `${routeScheme(c)}://${h}:${port}${path}`;
    for (const [svc, s] of Object.entries(c.services)) {
      if (!s.enabled) continue;
      const dependsOn: pulumi.Resource[] = [];
      if (s.neo4j) dependsOn.push(...this.neo4j.resources);
      for (const target of Object.values(s.uses)) dependsOn.push(...(this.dataServices[target]?.resources ?? []));
      const server = new McpServer(
        svc,
        {
          config: s,
          platform,
          resolveContext,
          volumePrefix: prefix,
          protectVolumes: c.protectVolumes,
          volumeLabels,
          networks: { frontend, backend },
          secrets,
          dataServiceUrls,
          neo4j: s.neo4j ? { uri: this.neo4j.uri, user: this.neo4j.user, password: this.neo4j.password } : undefined,
          dependsOn,
        },
        child,
      );
      this.mcpServers[svc] = server;
      if (server.dataVolume) this.volumes[`${svc}-data`] = pulumi.output(server.dataVolume);
      this.endpoints[svc] = {
        url: url(host, s.publishedPort, s.path),
        healthUrl: url(host, s.publishedPort, s.healthPath),
        internalUrl: server.internalUrl,
        replicas: s.replicas,
      };
    }

    // The monitor's history volume, before the backups so that they cover it.
    const m = c.healthMonitor;
    const monitorData = m.enabled
      ? stateVolume("health-monitor-data", { volumeName: `${prefix}-health-monitor-data`, labels: volumeLabels, protect: c.protectVolumes }, platform, { parent: this, provider }).name
      : undefined;
    if (monitorData) this.volumes["health-monitor-data"] = pulumi.output(monitorData);

    // Backups: every stateful volume read-only, Neo4j through its export; after the services, so the
    // volume map is complete.
    if (c.backup.enabled) {
      this.backup = new BackupCron(
        "backup",
        {
          config: c.backup,
          platformConfig: c,
          platform,
          stack,
          backendNetwork: backend,
          volumes: { ...this.volumes },
          volumePrefix: prefix,
          protectVolumes: c.protectVolumes,
          neo4jImageName: c.neo4j.image,
          neo4jImage: this.neo4j.image,
          neo4jPassword: this.neo4j.password,
          secrets,
          dependsOn: this.neo4j.resources,
        },
        child,
      );
    }

    // The only workload that publishes host ports: every MCP server's and the monitor's. Declared before
    // the monitor, which probes through it with the keys and certificate it makes; it still starts only
    // once the monitor is healthy (the monitor's resources arrive through a promise).
    let monitorDeclared: (r: pulumi.Resource[]) => void = () => undefined;
    const monitorResources = new Promise<pulumi.Resource[]>((resolve) => (monitorDeclared = resolve));
    if (publishedPortClaims(c).length > 0)
      this.gateway = new Gateway(
        "gateway",
        {
          config: c,
          platform,
          frontendNetwork: frontend,
          secrets,
          dependsOn: [
            ...Object.values(this.mcpServers).flatMap((s) => s.resources),
            ...(m.enabled ? [monitorResources.then((rs) => rs[0]!)] : []),
          ],
        },
        child,
      );

    if (m.enabled && monitorData) {
      // Container ids (host mode) let the monitor find each container's cgroup for memory and CPU.
      const containerIds: Record<string, pulumi.Input<string>> = {};
      for (const [svc, server] of Object.entries(this.mcpServers))
        server.containers.forEach((ctr, i) => (containerIds[replicaTargetName(svc, i + 1)] = ctr.id));
      if (this.neo4j.containers[0]) containerIds.neo4j = this.neo4j.containers[0].id;
      for (const [svc, ds] of Object.entries(this.dataServices)) if (ds.containers[0]) containerIds[svc] = ds.containers[0].id;
      // Each apiKey route's first client key: the monitor calls the routes as a client does.
      const gatewayKeys = Object.fromEntries(
        Object.entries(this.gateway?.apiKeys ?? {})
          .filter(([svc]) => svc in c.services)
          .map(([svc, keys]) => [svc, Object.values(keys)[0]!]),
      );
      const secretOf = (key?: string) => (key ? secrets[key] : undefined);
      this.healthMonitor = new HealthMonitor(
        "health-monitor",
        {
          config: m,
          platform,
          resolveContext,
          model: {
            services: c.services,
            dataServices: c.dataServices,
            neo4j: { host: NEO4J_ALIAS, port: BOLT_PORT },
            // Inside the frontend network the gateway is `gateway`; its certificate names gatewayHost.
            gateway: this.gateway
              ? {
                  scheme: routeScheme(c),
                  host: GATEWAY_ALIAS,
                  healthPath: "/healthz",
                  serverName: routeScheme(c) === "https" ? gatewayHost(c) : undefined,
                  pinnedCertificate: Boolean(this.gateway.certificate),
                  keyedRoutes: Object.keys(gatewayKeys),
                }
              : undefined,
            alerts: c.alerts,
            backup: this.backup ? { statusFile: STATUS_FILE, rpoMinutes: c.backup.rpoMinutes } : undefined,
            cgroups: c.mode === "host" && m.resources.enabled,
          },
          containerIds,
          frontendNetwork: frontend,
          backendNetwork: backend,
          dataVolume: monitorData,
          backupVolume: this.backup?.backupVolume,
          gatewayToken: secretOf(m.gatewayTokenKey),
          gatewayKeys,
          gatewayCa: this.gateway?.certificate,
          webhookUrl: secretOf(m.alertWebhookKey),
          dependsOn: [
            ...this.neo4j.resources,
            ...Object.values(this.dataServices).flatMap((d) => d.resources),
            ...Object.values(this.mcpServers).flatMap((s) => s.resources),
          ],
        },
        child,
      );
      monitorDeclared(this.healthMonitor.resources);
      this.dashboardUrl = url(host, m.publishedPort, "/dashboard");
      this.healthApiUrl = url(host, m.publishedPort, "/api/health/overall");
    }

    // Docker's published ports bypass host firewalls such as ufw: the allowlist goes in DOCKER-USER on the
    // Docker host. Then the checks that every deploy ends with.
    if (c.firewall.enabled)
      this.firewall = new Firewall(
        "firewall",
        {
          plan: firewallPlan(c, stack),
          dockerHost: c.dockerHost,
          sshPrivateKey: c.firewall.sshPrivateKey ? secrets[c.firewall.sshPrivateKey] : undefined,
        },
        { parent: this },
      );
    // Nothing to check when no service is published (every server and the monitor turned off).
    if (c.verify.enabled && (Object.keys(this.endpoints).length > 0 || this.dashboardUrl))
      this.verification = new Verification(
        "verify",
        {
          endpoints: endpointsFromOutputs({ mcpServers: this.endpoints, dashboardUrl: this.dashboardUrl }),
          services: [
            ...this.neo4j.resources,
            ...Object.values(this.dataServices).flatMap((d) => d.resources),
            ...Object.values(this.mcpServers).flatMap((m) => m.resources),
            ...(this.healthMonitor?.resources ?? []),
            ...(this.backup?.resources ?? []),
            // The endpoints it checks are the gateway's published ports.
            ...(this.gateway?.resources ?? []),
          ],
          after: this.firewall ? [this.firewall.rules] : [],
          timeoutSeconds: c.verify.timeoutSeconds,
          environment: verifyEnvironment(this.gateway),
          projectDir: args.projectDir ?? process.cwd(),
        },
        { parent: this },
      );

    this.registerOutputs({
      endpoints: this.endpoints,
      dashboardUrl: this.dashboardUrl,
      healthApiUrl: this.healthApiUrl,
      networks: { backend, frontend },
      volumes: this.volumes,
    });
  }
}

// The deploy's checks call each apiKey route with its first client's key, and trust a self-signed certificate.
function verifyEnvironment(gateway: Gateway | undefined): Record<string, pulumi.Input<string>> | undefined {
  if (!gateway) return undefined;
  const tokens = Object.fromEntries(Object.entries(gateway.apiKeys).map(([service, keys]) => [service, Object.values(keys)[0]!]));
  return {
    MCP_PLATFORM_VERIFY_TOKENS: pulumi.secret(pulumi.output(tokens).apply((t) => JSON.stringify(t))),
    ...(gateway.certificate ? { MCP_PLATFORM_VERIFY_CA: gateway.certificate } : {}),
  };
}
