// A data service declared in config (the runbook's vector-db and document-store are examples):
// stateful, on the backend network only, reached by alias.
import type * as pulumi from "@pulumi/pulumi";
import type { DataServiceConfig } from "../config/schema";
import { healthcheck, type NetworkRef, type WorkloadSpec } from "../container/spec";

export function dataServiceUrl(name: string, d: Pick<DataServiceConfig, "scheme" | "port">): string {
  return `${d.scheme}://${name}:${d.port}`;
}

export interface DataServiceInputs {
  image: pulumi.Input<string>;
  backendNetwork: NetworkRef;
  dataVolume: pulumi.Input<string>;
  secrets: Record<string, pulumi.Output<string>>;
}

export function dataServiceSpec(name: string, d: DataServiceConfig, inputs: DataServiceInputs): WorkloadSpec {
  const secretEnv: Record<string, pulumi.Output<string>> = {};
  for (const [envName, key] of Object.entries(d.secretEnv)) {
    const value = inputs.secrets[key];
    if (!value) throw new Error(`secret ${key} was not loaded (the config loader should have reported it)`);
    secretEnv[envName] = value;
  }
  return {
    service: name,
    component: "data-service",
    image: inputs.image,
    command: d.command,
    user: d.user,
    replicas: 1,
    memoryMb: d.memoryMb,
    memoryReservationMb: d.memoryReservationMb ?? Math.floor(d.memoryMb / 2),
    cpus: d.cpus,
    env: d.env,
    secretEnv,
    files: [],
    volumes: [{ volume: `${name}-data`, volumeName: inputs.dataVolume, path: d.dataVolume.path, readOnly: false }],
    readOnlyRootFilesystem: d.readOnlyRootFilesystem,
    tmpfs: d.tmpfs,
    capAdd: d.capAdd.map((capability) => ({ capability, reason: `dataServices.${name}.capAdd` })),
    networks: [{ network: "backend", ref: inputs.backendNetwork, aliases: [name] }],
    ports: [],
    healthcheck: healthcheck(d.healthcheck),
    stateful: true,
  };
}
