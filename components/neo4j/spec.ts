// Neo4j 5 (official image) as a WorkloadSpec.
import type * as pulumi from "@pulumi/pulumi";
import type { Neo4jConfig } from "../config/schema";
import { healthcheck, type NetworkRef, type WorkloadSpec } from "../container/spec";
import { neo4jMemory, neo4jMemoryEnv } from "./memory";

export const NEO4J_ALIAS = "neo4j";
export const NEO4J_USER = "neo4j";
export const BOLT_PORT = 7687;
export const HTTP_PORT = 7474;
export const NEO4J_URI = `bolt://${NEO4J_ALIAS}:${BOLT_PORT}`;

export interface Neo4jInputs {
  image: pulumi.Input<string>;
  password: pulumi.Output<string>;
  backendNetwork: NetworkRef;
  dataVolume: pulumi.Input<string>;
  logsVolume: pulumi.Input<string>;
}

export function neo4jEnv(config: Neo4jConfig): Record<string, string> {
  return {
    ...neo4jMemoryEnv(neo4jMemory(config.memoryMb, config)),
    // APOC core ships in the image; this enables it (the backups' online export uses it).
    NEO4J_PLUGINS: '["apoc"]',
    NEO4J_server_default__listen__address: "0.0.0.0",
  };
}

// Neo4j takes NEO4J_AUTH only when it creates its database, so the generated password is kept for the
// stack's life (the component ignores later changes to its length): a new one would lock graphiti and the
// backups out of the existing database. A changed neo4j.passwordLength gets this warning instead.
export function passwordLengthNotice(configured: number, generated: number): string | undefined {
  if (configured === generated) return undefined;
  return (
    `neo4j.passwordLength is ${configured}, but this stack's Neo4j password was generated with ${generated} characters and is kept: ` +
    `Neo4j keeps the password its database was created with, so a new one would lock graphiti and the backups out. ` +
    `The setting applies when a stack is created; set it back to ${generated} to silence this warning.`
  );
}

export function neo4jSpec(config: Neo4jConfig, inputs: Neo4jInputs): WorkloadSpec {
  return {
    service: NEO4J_ALIAS,
    component: "neo4j",
    image: inputs.image,
    // The image's neo4j user: its entrypoint supports running as it directly, without gosu.
    user: config.user,
    replicas: 1,
    memoryMb: config.memoryMb,
    memoryReservationMb: config.memoryReservationMb ?? Math.floor(config.memoryMb / 2),
    cpus: config.cpus,
    env: neo4jEnv(config),
    secretEnv: { NEO4J_AUTH: inputs.password.apply((p) => `${NEO4J_USER}/${p}`) },
    files: [],
    volumes: [
      { volume: "neo4j-data", volumeName: inputs.dataVolume, path: "/data", readOnly: false },
      { volume: "neo4j-logs", volumeName: inputs.logsVolume, path: "/logs", readOnly: false },
    ],
    // The entrypoint writes NEO4J_* settings into conf/neo4j.conf at every start: the root filesystem
    // must stay writable (a policy exception names this reason).
    readOnlyRootFilesystem: false,
    tmpfs: [],
    capAdd: [],
    networks: [{ network: "backend", ref: inputs.backendNetwork, aliases: [NEO4J_ALIAS] }],
    ports: [],
    // The image has wget but no curl; 7474 answers once the DBMS is up. First start can take a minute.
    healthcheck: healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${HTTP_PORT}`], {
      intervalSeconds: 10,
      retries: 10,
      startPeriodSeconds: 60,
    }),
    stateful: true,
  };
}
