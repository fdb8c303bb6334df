import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, reveal, type Evaluation } from "../harness/program";
import { itDeclaresThePlatform, itPublishesThroughTheGateway, replicasOf, serviceContainers, stateVolumes } from "./declared";

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("prod");
});

describe("the prod stack, evaluated from Pulumi.prod.yaml under mocks", () => {
  itDeclaresThePlatform(() => ev);
  itPublishesThroughTheGateway("prod", () => ev);

  it("runs at least two replicas of each MCP server, chained so they are replaced one at a time", () => {
    for (const s of ["gmail", "graphiti", "rag"]) {
      const replicas = replicasOf(ev, s);
      expect(replicas.length, s).toBeGreaterThanOrEqual(2);
      for (const r of replicas) expect(r.inputs.wait, r.name).toBe(true);
    }
  });

  it("pulls every image from a registry by a pinned reference, building nothing on the host", () => {
    const images = ev.byType("docker:index/remoteImage:RemoteImage");
    for (const i of images) {
      expect(i.inputs.build, i.name).toBeUndefined();
      expect(i.inputs.name as string, i.name).toMatch(/(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
      expect(i.inputs.name as string, i.name).not.toMatch(/:latest$/);
    }
  });

  it("protects the stateful volumes and the generated passwords their data needs, and nothing else", () => {
    const state = stateVolumes(ev);
    expect(state.length).toBe(6);
    // Neo4j sets its password when it creates its database, and the backups' repository opens with its
    // own: a destroy that keeps the data must keep them.
    const kept = [...state.map((v) => v.name), "neo4j-password", "backup-password"].sort();
    expect(ev.resources.filter((r) => r.protect).map((r) => r.name).sort()).toEqual(kept);
  });

  it("gives services larger limits than dev", () => {
    const [neo4j] = replicasOf(ev, "neo4j");
    expect(neo4j!.inputs.memory).toBe(4096);
    expect(reveal(neo4j!.inputs.envs)).toContain("NEO4J_server_memory_heap_max__size=1638m");
    expect(Math.max(...serviceContainers(ev, "mcp-server").map((c) => c.inputs.memory as number))).toBeGreaterThanOrEqual(1024);
  });

  it("filters the published ports in DOCKER-USER on the Docker host, from anywhere by default, and verifies every deploy", () => {
    const commands = ev.byType("command:local:Command").map((c) => c.name).sort();
    expect(commands).toEqual(["firewall-docker-user", "verify-checks"]);
    const fw = reveal(ev.byType("command:local:Command").find((c) => c.name === "firewall-docker-user")!.inputs) as { create: string };
    expect(fw.create).toContain("'apply' 'DOCKER-USER' 'eth0' 'mcp-platform:prod' 'any' '8080=0.0.0.0/0' '8082=0.0.0.0/0' '8084=0.0.0.0/0' '8083=0.0.0.0/0'");
  });
});
