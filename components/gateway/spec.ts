// The gateway as a WorkloadSpec: the official nginx image running as its unprivileged nginx user on a
// read-only root, its rendered config uploaded read-only, and the only published ports of the platform.
import type * as pulumi from "@pulumi/pulumi";
import { publishedPortClaims, type PlatformConfig } from "../config/schema";
import { healthcheck, type PortSpec, type WorkloadSpec } from "../container/spec";
import { containerTarget, gatewayModel, GATEWAY_RUNTIME_DIR, renderNginxConf } from "./nginx-conf";

export const GATEWAY_ALIAS = "gateway";
export const GATEWAY_CONF_PATH = "/etc/nginx/mcp-platform/nginx.conf";
// The official image's nginx user and group; it needs no capability to listen on unprivileged ports.
export const NGINX_USER = "101:101";

export interface GatewayInputs {
  image: pulumi.Input<string>;
  frontendNetwork: pulumi.Input<string>;
}

// Every host port of publishedPortClaims, bound to publishAddress; inside the container nginx listens on
// the same port number, so a port in the config means the same thing on both sides.
export function gatewayPorts(c: PlatformConfig): PortSpec[] {
  return publishedPortClaims(c).map(([port]) => ({ internal: port, published: port, address: c.publishAddress }));
}

export function gatewayConf(c: PlatformConfig): string {
  return renderNginxConf(gatewayModel(c), containerTarget(c.gateway.dnsValidSeconds));
}

export function gatewaySpec(c: PlatformConfig, inputs: GatewayInputs): WorkloadSpec {
  const g = c.gateway;
  const ports = gatewayPorts(c);
  if (ports.length === 0) throw new Error("the gateway has nothing to serve: no MCP server and no health monitor is enabled");
  return {
    service: GATEWAY_ALIAS,
    component: "gateway",
    image: inputs.image,
    // nginx itself, without the image's entrypoint scripts (they try to edit files on the read-only root).
    entrypoint: ["nginx"],
    command: ["-c", GATEWAY_CONF_PATH, "-e", "stderr"],
    user: NGINX_USER,
    // One gateway per host: it owns the published ports (on a Swarm, one per node; see container/swarm.ts).
    replicas: g.replicas,
    memoryMb: g.memoryMb,
    memoryReservationMb: g.memoryReservationMb ?? Math.floor(g.memoryMb / 2),
    cpus: g.cpus,
    env: {},
    secretEnv: {},
    files: [{ path: GATEWAY_CONF_PATH, content: gatewayConf(c), secret: false }],
    volumes: [],
    readOnlyRootFilesystem: true,
    // pid file and proxy temp files (see the rendered config's runtime directory).
    tmpfs: [GATEWAY_RUNTIME_DIR],
    capAdd: [],
    networks: [{ network: "frontend", networkName: inputs.frontendNetwork, aliases: [GATEWAY_ALIAS] }],
    ports,
    // The image has curl; /healthz is answered by nginx itself on every port.
    healthcheck: healthcheck(["CMD", "curl", "-fsS", "-o", "/dev/null", `http://127.0.0.1:${ports[0]!.internal}/healthz`], {
      intervalSeconds: 10,
      startPeriodSeconds: 10,
    }),
    stateful: false,
  };
}
