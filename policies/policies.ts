// Every policy of the pack, importable without starting it (index.ts starts the gRPC server).
import { bindMountsReadOnly } from "./container/bind-mounts-read-only";
import { capabilitiesRestricted } from "./container/capabilities-restricted";
import { cpuLimit } from "./container/cpu-limit";
import { defaultRuntime } from "./container/default-runtime";
import { healthcheck } from "./container/healthcheck";
import { imagesPinned } from "./container/images-pinned";
import { logsRotated } from "./container/logs-rotated";
import { memoryLimit } from "./container/memory-limit";
import { mountPropagationNotShared } from "./container/mount-propagation-not-shared";
import { noCgroupParent } from "./container/no-cgroup-parent";
import { noDefaultBridge } from "./container/no-default-bridge";
import { noDockerSocket } from "./container/no-docker-socket";
import { noHostDevices } from "./container/no-host-devices";
import { noHostNamespaces } from "./container/no-host-namespaces";
import { noJoinedNamespaces } from "./container/no-joined-namespaces";
import { noNewPrivileges } from "./container/no-new-privileges";
import { noPlaintextCredentials } from "./container/no-plaintext-credentials";
import { noPrivileged } from "./container/no-privileged";
import { noPrivilegedHostPorts } from "./container/no-privileged-host-ports";
import { noSensitiveHostMounts } from "./container/no-sensitive-host-mounts";
import { noVolumesFrom } from "./container/no-volumes-from";
import { nonRootUser } from "./container/non-root-user";
import { oneShotConfined } from "./container/one-shot-confined";
import { portsBoundToInterface } from "./container/ports-bound-to-interface";
import { publishedPortsAllowlisted } from "./container/published-ports-allowlisted";
import { readOnlyRootFilesystem } from "./container/read-only-root-filesystem";
import { restartPolicy } from "./container/restart-policy";
import { secretEnvValues } from "./container/secret-env-values";
import { securityProfiles } from "./container/security-profiles";
import { sysctlsAllowlisted } from "./container/sysctls-allowlisted";
import { ulimitsDefault } from "./container/ulimits-default";
import { volumesNotHostPaths } from "./container/volumes-not-host-paths";
import type { McpPolicy } from "./lib/meta";
import { backupCoversStatefulVolumes } from "./stack/backup-covers-stateful-volumes";
import { capacityFitsHost } from "./stack/capacity-fits-host";
import { dataOnInternalNetworks } from "./stack/data-on-internal-networks";
import { mcpBehindRateLimit } from "./stack/mcp-behind-rate-limit";
import { mcpMinReplicas } from "./stack/mcp-min-replicas";
import { networksDeclared } from "./stack/networks-declared";
import { publishedRoutesTlsAuth } from "./stack/published-routes-tls-auth";
import { uniqueHostPorts } from "./stack/unique-host-ports";

export const PACK_NAME = "mcp-platform";

// Container and Swarm service rules.
export const resourcePolicies: McpPolicy[] = [
  noPrivileged,
  capabilitiesRestricted,
  noNewPrivileges,
  securityProfiles,
  readOnlyRootFilesystem,
  nonRootUser,
  memoryLimit,
  cpuLimit,
  restartPolicy,
  healthcheck,
  noHostNamespaces,
  noJoinedNamespaces,
  sysctlsAllowlisted,
  defaultRuntime,
  ulimitsDefault,
  noDefaultBridge,
  noPrivilegedHostPorts,
  portsBoundToInterface,
  publishedPortsAllowlisted,
  noDockerSocket,
  noSensitiveHostMounts,
  bindMountsReadOnly,
  mountPropagationNotShared,
  noVolumesFrom,
  volumesNotHostPaths,
  noHostDevices,
  noCgroupParent,
  imagesPinned,
  secretEnvValues,
  noPlaintextCredentials,
  logsRotated,
  oneShotConfined,
];

// Rules over the whole stack.
export const stackPolicies: McpPolicy[] = [
  uniqueHostPorts,
  mcpMinReplicas,
  capacityFitsHost,
  dataOnInternalNetworks,
  networksDeclared,
  backupCoversStatefulVolumes,
  mcpBehindRateLimit,
  publishedRoutesTlsAuth,
];

// Mandatory unless a config file says otherwise (policies/config/dev.json lowers some to advisory).
export const policies: McpPolicy[] = [...resourcePolicies, ...stackPolicies].map((p) => ({ ...p, enforcementLevel: p.enforcementLevel ?? "mandatory" }));
