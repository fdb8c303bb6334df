// The gateway: HAProxy in front of every MCP server's replicas and the health monitor, publishing their
// host ports with TLS, authentication per route, MCP session routing, rate limits and metrics.
import * as command from "@pulumi/command";
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as crypto from "crypto";
import type { PlatformConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import type { NetworkRef } from "../container/spec";
import { serviceImage } from "../container/image";
import { deployWorkload } from "../container/workload";
import { gatewayHost, gatewayModel } from "./model";
import { gatewaySpec } from "./spec";

export interface GatewayArgs {
  config: PlatformConfig;
  platform: PlatformDefaults;
  frontendNetwork: NetworkRef;
  // Secret config values by key (the TLS certificate and key are read from here).
  secrets: Record<string, pulumi.Output<string>>;
  // The services it proxies: on a first deployment it starts once they are healthy.
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const sha256Hex = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

// A self-signed pair for loopback in dev, made once by openssl where `pulumi up` runs and kept in the
// state (secret); replacing it takes `pulumi up --replace` on this resource.
export function selfSignedCommand(host: string): string {
  const san = /^[\d.]+$/.test(host) || host.includes(":") ? `IP:${host.replace(/^\[|\]$/g, "")}` : `DNS:${host}`;
  return [
    'd=$(mktemp -d) && trap \'rm -rf "$d"\' EXIT',
    `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 -subj '/CN=${host}' -addext 'subjectAltName=${san},DNS:localhost,IP:127.0.0.1' -keyout "$d/key.pem" -out "$d/cert.pem" 2>"$d/err" || { cat "$d/err" >&2; exit 1; }`,
    'cat "$d/cert.pem" "$d/key.pem"',
  ].join("\n");
}

export const certificateOf = (pem: string) => /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(pem)?.[0] ?? "";

export class Gateway extends pulumi.ComponentResource {
  readonly containers: docker.Container[];
  readonly resources: pulumi.Resource[];
  // apiKey routes: route -> client -> key (secret outputs).
  readonly apiKeys: Record<string, Record<string, pulumi.Output<string>>> = {};
  // The certificate clients see (public), when the gateway terminates TLS.
  readonly certificate?: pulumi.Output<string>;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:gateway:Gateway", name, {}, opts);
    const c = args.config;
    const t = c.gateway.tls;
    const image = serviceImage(name, { image: c.gateway.image }, (x) => x, args.platform, { parent: this });

    let tlsPem: pulumi.Output<string> | undefined;
    if (t.certificate && t.privateKey) {
      const cert = args.secrets[t.certificate];
      const key = args.secrets[t.privateKey];
      if (!cert || !key) throw new Error("the gateway's TLS certificate and key secrets were not loaded");
      tlsPem = pulumi.secret(pulumi.interpolate`${cert.apply((s) => `${s.trim()}\n`)}${key.apply((s) => `${s.trim()}\n`)}`);
    } else if (t.selfSigned) {
      const pair = new command.local.Command(
        `${name}-self-signed-tls`,
        { create: selfSignedCommand(gatewayHost(c)), logging: "stderr" },
        { parent: this, additionalSecretOutputs: ["stdout"] },
      );
      tlsPem = pulumi.secret(pair.stdout.apply((s) => `${(s ?? "").trim()}\n`));
    }
    if (tlsPem) this.certificate = pulumi.unsecret(tlsPem.apply(certificateOf));

    // Per-client keys: 256 bits each, generated once and kept in the state as secrets. The gateway gets
    // only their SHA-256; a 256-bit random key needs no salt or slow hash to resist guessing.
    const apiKeyHashes: Record<string, pulumi.Output<{ client: string; sha256: string }[]>> = {};
    for (const route of gatewayModel(c).routes) {
      if (route.auth.mode !== "apiKey") continue;
      const keys: Record<string, pulumi.Output<string>> = {};
      for (const client of route.auth.clients)
        keys[client] = new random.RandomPassword(`${name}-${route.service}-${client}-key`, { length: 43, special: false }, { parent: this }).result;
      this.apiKeys[route.service] = keys;
      apiKeyHashes[route.service] = pulumi.unsecret(
        pulumi.all(Object.entries(keys).map(([client, key]) => key.apply((k) => ({ client, sha256: sha256Hex(k) })))),
      );
    }

    const spec = gatewaySpec(c, { image, frontendNetwork: args.frontendNetwork, tlsPem, apiKeyHashes });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, {
      parent: this,
      dependsOn: args.dependsOn,
    }));
    this.registerOutputs({ ports: spec.ports.map((p) => p.published), certificate: this.certificate });
  }
}
