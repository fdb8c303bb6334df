// Resources shaped as the engine hands them to policies: the docker provider's input names, plain JSON.
import { CONTAINER, NETWORK, REMOTE_IMAGE, SERVICE, VOLUME } from "../../policies/lib/workload";
import type { TestResource } from "../harness/policy";

type Props = Record<string, unknown>;
export const label = (entries: Record<string, string>) => Object.entries(entries).map(([k, v]) => ({ label: k, value: v }));

// A container as components/container/defaults.ts declares one: compliant with every rule.
export function container(overrides: Props = {}, name = "gmail-1"): TestResource {
  return {
    type: CONTAINER,
    name,
    props: {
      image: `sha256:${"ab".repeat(32)}`,
      user: "1000:1000",
      envs: ["MCP_SERVER_NAME=gmail-tools", "PORT=8080"],
      labels: label({ service: "gmail", component: "mcp-server", environment: "dev" }),
      memory: 256,
      memoryReservation: 128,
      memorySwap: 256,
      cpus: "0.5",
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3", labels: "service,component,environment" },
      healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"], interval: "15s" },
      restart: "on-failure",
      maxRetryCount: 5,
      securityOpts: ["no-new-privileges:true"],
      capabilities: { drops: ["ALL"], adds: [] },
      readOnly: true,
      tmpfs: { "/tmp": "rw,noexec,nosuid,nodev,size=64m" },
      mounts: [{ type: "volume", source: "mcp-dev-gmail-data", target: "/app/data" }],
      networksAdvanced: [{ name: "mcp-dev-frontend", aliases: ["gmail"] }],
      ports: [],
      ...overrides,
    },
  };
}

// The same workload as a Swarm service (issue 7), with docker.Service's input names.
export function service(overrides: Props = {}, containerSpec: Props = {}, name = "gmail"): TestResource {
  return {
    type: SERVICE,
    name,
    props: {
      labels: label({ service: "gmail", component: "mcp-server", environment: "prod" }),
      mode: { replicated: { replicas: 2 } },
      taskSpec: {
        containerSpec: {
          image: `registry.example.com/pa/gmail-mcp:1.1.11@sha256:${"cd".repeat(32)}`,
          user: "1000:1000",
          readOnly: true,
          capDrops: ["ALL"],
          env: { MCP_SERVER_NAME: "gmail-tools" },
          healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"] },
          mounts: [{ type: "volume", source: "gmail-data", target: "/app/data" }],
          ...containerSpec,
        },
        resources: { limits: { memoryBytes: 256 * 1024 * 1024, nanoCpus: 500_000_000 }, reservation: { memoryBytes: 128 * 1024 * 1024 } },
        restartPolicy: { condition: "on-failure", maxAttempts: 5 },
        logDriver: { name: "json-file", options: { "max-size": "10m", "max-file": "3" } },
        networksAdvanceds: [{ name: "mcp-prod-frontend" }],
      },
      ...overrides,
    },
  };
}

export const network = (name: string, internal: boolean): TestResource => ({ type: NETWORK, name, props: { name, driver: "bridge", internal } });
// The same network as Swarm reads it back: with the ID services attach by (`<name>-id`).
export const networkWithId = (name: string, internal: boolean): TestResource => ({ ...network(name, internal), props: { ...network(name, internal).props, id: `${name}-id` } });
export const volume = (name: string, backup = true): TestResource => ({
  type: VOLUME,
  name,
  props: { name, labels: label(backup ? { "dev.mcp-platform.backup": "true" } : {}) },
});
export const remoteImage = (name: string, build?: Props): TestResource => ({ type: REMOTE_IMAGE, name: `${name.split(/[:@]/)[0]}-image`, props: { name, ...(build ? { build } : {}) } });

// A resource some of whose inputs another resource computes: the engine says which, per top-level property
// (propertyDependencies). During preview such an input can be unknown; an unknown in a property that depends
// on nothing is the provider's own default, which the pack reads as unset.
export function computedFrom(r: TestResource, dependencies: Record<string, string[]>): TestResource {
  return { ...r, propertyDependencies: { ...r.propertyDependencies, ...dependencies } };
}

export function withLabels(r: TestResource, labels: Record<string, string>): TestResource {
  return { ...r, props: { ...r.props, labels: label(labels) } };
}

import { expect } from "vitest";
import type { Result } from "../harness/policy";

export function expectClean(r: Result): void {
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
}
// Exactly the violations given, each message containing every fragment of its entry.
export function expectViolations(r: Result, ...each: string[][]): void {
  expect(r.violations.map((d) => d.message), "violations").toHaveLength(each.length);
  each.forEach((fragments, i) => {
    for (const f of fragments) expect(r.violations[i]!.message).toContain(f);
    expect(r.violations[i]!.level).toBe("mandatory");
  });
}
// "Can't decide": one advisory naming what was not checked, and no violation.
export function expectUndecided(r: Result, what: string): void {
  expect(r.violations).toEqual([]);
  expect(r.advisories).toHaveLength(1);
  expect(r.advisories[0]!.message).toMatch(/^can't run policy '.+' from policy pack .* during preview: not checked, values unknown until apply: /);
  expect(r.advisories[0]!.message).toContain(what);
}
