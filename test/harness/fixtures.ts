// Small fixtures shared by the unit tests of the container engines.
import type { PlatformDefaults } from "../../components/container/defaults";

export function platformDefaults(over: Partial<PlatformDefaults> = {}): PlatformDefaults {
  return {
    environment: "dev",
    logging: { maxSize: "10m", maxFile: 3 },
    restart: { policy: "on-failure", maxRetries: 5 },
    mode: "host",
    swarm: { stateNodeLabel: "mcp-platform.state", encryptBackend: true },
    ...over,
  };
}
