// The whole platform on one Docker host: networks, Neo4j, data services, MCP servers and the health
// monitor, wired from one validated configuration.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BackupCron } from "../backup";
import { resolveBuildContext } from "../config/load";
import type { PlatformConfig } from "../config/schema";
import { secretValue } from "../config/stack";
import { DataService } from "../data-service";
import { HealthMonitor } from "../health-monitor";
import { McpServer } from "../mcp-server";
import { Neo4j } from "../neo4j";
import { Networks } from "../network";
import { publicHost, url } from "./urls";

export interface PlatformArgs {
  config: PlatformConfig;
  // Secret config keys the settings refer to; each is read as a secret Output.
  secretKeys: string[];
  // Directory that relative paths (sourceRoot) are taken from; the project directory.
  projectDir?: string;
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
  readonly backup?: BackupCron;
  readonly endpoints: Record<string, McpServerEndpoint> = {};
  readonly dashboardUrl?: string;
  readonly healthApiUrl?: string;
  readonly volumes: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:platform:Platform", name, {}, opts);
    const c = args.config;
    const stack = pulumi.getStack();
    const prefix = `mcp-${stack}`;
    const provider = new docker.Provider(`${name}-docker`, { host: c.dockerHost }, { parent: this });
    const child = { parent: this, providers: { docker: provider } };
    const platform = { environment: c.environment, logging: c.logging, restart: c.restart };
    const volumeLabels = { "dev.mcp-platform.stack": stack, "dev.mcp-platform.backup": "true" };
    const resolveContext = (context: string) => resolveBuildContext(c, context, args.projectDir);
    const secrets = Object.fromEntries(args.secretKeys.map((k) => [k, secretValue(k)]));

    this.networks = new Networks(
      "networks",
      { prefix, publishAddress: c.publishAddress, labels: { "dev.mcp-platform.stack": stack } },
      child,
    );
    const backend = this.networks.backend.name;
    const frontend = this.networks.frontend.name;

    this.neo4j = new Neo4j(
      "neo4j",
      { config: c.neo4j, platform, backendNetwork: backend, volumePrefix: prefix, protectVolumes: c.protectVolumes, volumeLabels },
      child,
    );
    this.volumes["neo4j-data"] = this.neo4j.dataVolume.name;
    this.volumes["neo4j-logs"] = this.neo4j.logsVolume.name;

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
      this.volumes[`${svc}-data`] = ds.dataVolume.name;
    }

    const host = publicHost(c.publishAddress, c.dockerHost);
    for (const [svc, s] of Object.entries(c.services)) {
      if (!s.enabled) continue;
      const dependsOn: pulumi.Resource[] = [];
      if (s.neo4j) dependsOn.push(...this.neo4j.containers);
      for (const target of Object.values(s.uses)) dependsOn.push(...(this.dataServices[target]?.containers ?? []));
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
      if (server.dataVolume) this.volumes[`${svc}-data`] = server.dataVolume.name;
      this.endpoints[svc] = {
        url: url(host, s.publishedPort, s.path),
        healthUrl: url(host, s.publishedPort, s.healthPath),
        internalUrl: server.internalUrl,
        replicas: server.containers.length,
      };
    }

    const m = c.healthMonitor;
    if (m.enabled) {
      this.healthMonitor = new HealthMonitor(
        "health-monitor",
        {
          config: m,
          platform,
          resolveContext,
          frontendNetwork: frontend,
          publishAddress: c.publishAddress,
          services: c.services,
          alerts: c.alerts,
          dependsOn: Object.values(this.mcpServers).flatMap((s) => s.containers),
        },
        child,
      );
      this.dashboardUrl = url(host, m.publishedPort, "/dashboard");
      this.healthApiUrl = url(host, m.publishedPort, "/api/health/overall");
    }

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
          neo4jImage: c.neo4j.image,
          neo4jPassword: this.neo4j.password,
          secrets,
          dependsOn: this.neo4j.containers,
        },
        child,
      );
    }

    this.registerOutputs({
      endpoints: this.endpoints,
      dashboardUrl: this.dashboardUrl,
      healthApiUrl: this.healthApiUrl,
      networks: { backend, frontend },
      volumes: this.volumes,
    });
  }
}
