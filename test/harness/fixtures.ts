// Small fixtures shared by the unit tests of the container engines.
import type { PlatformDefaults } from "../../components/container/defaults";
import { healthcheck, type NetworkRef, type WorkloadSpec } from "../../components/container/spec";

// A network by name, with the ID Docker would give it (a Swarm service attaches by ID, a container by name).
export function networkRef(name: string): NetworkRef {
  return { name, id: `${name}-id` };
}

export function platformDefaults(over: Partial<PlatformDefaults> = {}): PlatformDefaults {
  return {
    environment: "dev",
    logging: { maxSize: "10m", maxFile: 3 },
    restart: { policy: "unless-stopped", maxRetries: 5 },
    mode: "host",
    swarm: { stateNodeLabel: "mcp-platform.state", encryptBackend: true },
    ...over,
  };
}

// A hardened, non-root workload with nothing else: tests add what they look at.
export function workloadSpec(over: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    service: "svc",
    component: "mcp-server",
    image: "sha256:abc",
    user: "1000:1000",
    replicas: 2,
    memoryMb: 256,
    memoryReservationMb: 128,
    cpus: 0.5,
    env: { A: "1" },
    secretEnv: {},
    files: [],
    volumes: [],
    readOnlyRootFilesystem: true,
    tmpfs: ["/tmp"],
    capAdd: [],
    networks: [{ network: "frontend", ref: networkRef("front"), aliases: ["svc"] }],
    ports: [],
    healthcheck: healthcheck(["CMD", "true"]),
    stateful: false,
    ...over,
  };
}
