// The gateway as a WorkloadSpec: HAProxy's official image as its haproxy user (uid 99) on a read-only root,
// with no capability, its rendered config and scripts as files in one directory that it watches and
// reloads in place, and the only published ports of the platform.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { publishedPortClaims, type PlatformConfig } from "../config/schema";
import { healthcheck, type FileSpec, type NetworkRef, type PortSpec, type WorkloadSpec } from "../container/spec";
import { apiKeyMapFile, DOCKER_DNS, issuerKeyFile, METRICS_LUA, renderApiKeyMap, renderHaproxyCfg, TLS_PEM, type RenderTarget } from "./haproxy-cfg";
import { gatewayModel, type GatewayModel } from "./model";

export const GATEWAY_ALIAS = "gateway";
export const GATEWAY_CONF_DIR = "/usr/local/etc/haproxy/mcp-platform";
export const GATEWAY_RUNTIME_DIR = "/tmp";
// The official image's haproxy user and group (docker-library/haproxy: groupadd/useradd --gid/--uid 99);
// it needs no capability to listen on unprivileged ports.
export const HAPROXY_USER = "99:99";

// Scripts and Lua that run in the container: real files next to this module.
export const SCRIPT_FILES = ["entrypoint.sh", "healthcheck.sh", METRICS_LUA] as const;
export const scriptSource = (name: string) => fs.readFileSync(path.join(__dirname, name), "utf8");

export interface GatewayInputs {
  image: pulumi.Input<string>;
  frontendNetwork: NetworkRef;
  // Certificate chain and private key, one PEM (secret); absent when the routes are plain HTTP.
  tlsPem?: pulumi.Input<string>;
  // apiKey routes: service -> the SHA-256 (hex) of each client's key.
  apiKeyHashes?: Record<string, pulumi.Input<{ client: string; sha256: string }[]>>;
}

export function containerTarget(c: PlatformConfig): RenderTarget {
  return {
    confDir: GATEWAY_CONF_DIR,
    runtimeDir: GATEWAY_RUNTIME_DIR,
    resolver: { address: DOCKER_DNS, validSeconds: c.gateway.dnsValidSeconds },
    ...(c.mode === "swarm" ? { refuseWithoutReplicas: true } : {}),
  };
}

// Every host port of publishedPortClaims, bound to publishAddress; inside the container HAProxy listens on
// the same port number, so a port in the config means the same thing on both sides. The metrics port is
// not published.
export function gatewayPorts(c: PlatformConfig): PortSpec[] {
  return publishedPortClaims(c).map(([port]) => ({ internal: port, published: port, address: c.publishAddress }));
}

export function gatewayConf(c: PlatformConfig): string {
  return renderHaproxyCfg(gatewayModel(c), containerTarget(c));
}

// The files of the config directory, by name: the config, the scripts, and each route's key material.
export function gatewayFiles(model: GatewayModel, conf: string, inputs: Pick<GatewayInputs, "tlsPem" | "apiKeyHashes">): FileSpec[] {
  const file = (name: string, content: pulumi.Input<string>, secret = false): FileSpec => ({ path: `${GATEWAY_CONF_DIR}/${name}`, content, secret });
  const files = [file("haproxy.cfg", conf), ...SCRIPT_FILES.map((n) => file(n, scriptSource(n)))];
  if (model.tls) {
    if (!inputs.tlsPem) throw new Error("the gateway serves TLS but was given no certificate");
    files.push(file(TLS_PEM, inputs.tlsPem, true));
  }
  for (const r of model.routes) {
    if (r.auth.mode === "oauth") r.auth.publicKeys.forEach((pem, i) => files.push(file(issuerKeyFile(r.service, i), pem)));
    if (r.auth.mode === "apiKey") {
      const hashes = inputs.apiKeyHashes?.[r.service];
      if (!hashes) throw new Error(`the gateway's route ${r.service} uses apiKey but was given no key hashes`);
      // Digests only, but computed from the keys: kept secret like them (encrypted in state, a docker.Secret on
      // a Swarm), so no plain file of the platform is computed from a secret.
      files.push(file(apiKeyMapFile(r.service), pulumi.output(hashes).apply(renderApiKeyMap), true));
    }
  }
  return files;
}

export function gatewaySpec(c: PlatformConfig, inputs: GatewayInputs): WorkloadSpec {
  const g = c.gateway;
  const ports = gatewayPorts(c);
  if (ports.length === 0) throw new Error("the gateway has nothing to serve: no MCP server and no health monitor is enabled");
  const model = gatewayModel(c);
  return {
    service: GATEWAY_ALIAS,
    component: "gateway",
    image: inputs.image,
    // The entrypoint runs HAProxy and reloads it when the files change. Nothing here depends on replicas,
    // limits or keys: those change only the files, so the container is never replaced for them.
    entrypoint: ["/bin/sh", `${GATEWAY_CONF_DIR}/entrypoint.sh`],
    command: [],
    user: HAPROXY_USER,
    // One gateway per host: it owns the published ports (on a Swarm, one per node; see container/swarm.ts).
    replicas: g.replicas,
    memoryMb: g.memoryMb,
    memoryReservationMb: g.memoryReservationMb ?? Math.floor(g.memoryMb / 2),
    cpus: g.cpus,
    env: { MCP_GATEWAY_CONF_DIR: GATEWAY_CONF_DIR, MCP_GATEWAY_RELOAD_POLL_SECONDS: String(g.reloadPollSeconds) },
    secretEnv: {},
    files: gatewayFiles(model, gatewayConf(c), inputs),
    // The entrypoint watches its config directory and reloads HAProxy in place: a new config (scaling,
    // limits, keys) must not replace the container.
    filesChange: "reload",
    volumes: [],
    readOnlyRootFilesystem: true,
    // The runtime API socket.
    tmpfs: [GATEWAY_RUNTIME_DIR],
    capAdd: [],
    networks: [{ network: "frontend", ref: inputs.frontendNetwork, aliases: [GATEWAY_ALIAS] }],
    ports,
    // HAProxy answers /healthz on its internal metrics port once a worker runs.
    healthcheck: healthcheck(["CMD", "bash", `${GATEWAY_CONF_DIR}/healthcheck.sh`, String(g.metricsPort)], {
      intervalSeconds: 10,
      startPeriodSeconds: 10,
    }),
    stateful: false,
  };
}
