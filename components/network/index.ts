// The platform's two networks. Backend is internal: no route out, never published; Neo4j and the data
// services live only there. Frontend carries what is reached from outside (through published ports) and
// gives the MCP servers their way out to the APIs they call.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as net from "net";
import type { NetworkRef } from "../container/spec";

export interface NetworksArgs {
  // Docker names are `<prefix>-backend` and `<prefix>-frontend`.
  prefix: string;
  // Default address for ports published on the frontend network (CIS 5.14).
  publishAddress: string;
  labels: Record<string, string>;
  // On a Swarm: overlay networks spanning the nodes, the backend optionally encrypted (IPsec).
  swarm?: { encryptBackend: boolean };
}

export const NETWORK_KEYS = ["backend", "frontend"] as const;
export type NetworkKey = (typeof NETWORK_KEYS)[number];

export class Networks extends pulumi.ComponentResource {
  readonly backend: docker.Network;
  readonly frontend: docker.Network;

  constructor(name: string, args: NetworksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:network:Networks", name, {}, opts);
    const labels = Object.entries(args.labels).map(([label, value]) => ({ label, value }));
    // On a Swarm the manager adds its own option to every overlay it creates (the VXLAN id,
    // com.docker.network.driver.overlay.vxlanid_list), which the provider reads back: every later
    // `pulumi up` then saw `options` changed and replaced both networks, which Swarm refuses while
    // services use them (seen: "network … is in use by service …", the update failed). Options are
    // fixed at creation either way: swarm.encryptBackend applies to a network when it is created.
    const overlayOpts = { parent: this, ...(args.swarm ? { ignoreChanges: ["options"] } : {}) };
    this.backend = new docker.Network(
      `${name}-backend`,
      {
        name: `${args.prefix}-backend`,
        driver: args.swarm ? "overlay" : "bridge",
        internal: true,
        labels,
        options: args.swarm?.encryptBackend ? { encrypted: "true" } : {},
      },
      overlayOpts,
    );
    this.frontend = new docker.Network(
      `${name}-frontend`,
      {
        name: `${args.prefix}-frontend`,
        driver: args.swarm ? "overlay" : "bridge",
        labels,
        options:
          !args.swarm && net.isIPv4(args.publishAddress) ? { "com.docker.network.bridge.host_binding_ipv4": args.publishAddress } : {},
      },
      overlayOpts,
    );
    this.registerOutputs({ backend: this.backend.name, frontend: this.frontend.name });
  }

  ref(key: NetworkKey): NetworkRef {
    return networkRef(this[key]);
  }
}

// How workloads address a network: containers by name, Swarm services by ID.
export function networkRef(network: docker.Network): NetworkRef {
  return { name: network.name, id: network.id };
}
