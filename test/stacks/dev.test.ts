import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, reveal, type Evaluation } from "../harness/program";
import { itDeclaresThePlatform, itPublishesThroughTheGateway, replicasOf, serviceContainers, stateVolumes } from "./declared";

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("dev");
});

describe("the dev stack, evaluated from Pulumi.dev.yaml under mocks", () => {
  itDeclaresThePlatform(() => ev);
  itPublishesThroughTheGateway("dev", () => ev);

  it("runs one replica of each MCP server", () => {
    for (const s of ["gmail", "graphiti", "rag"]) expect(replicasOf(ev, s), s).toHaveLength(1);
  });

  it("binds every published port to 127.0.0.1", () => {
    const ports = serviceContainers(ev).flatMap((c) => (reveal(c.inputs.ports) ?? []) as { ip: string }[]);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p.ip).toBe("127.0.0.1");
  });

  it("keeps limits small", () => {
    for (const c of serviceContainers(ev)) expect(c.inputs.memory as number, c.name).toBeLessThanOrEqual(1024);
  });

  it("builds the ai-PA images from the checkout", () => {
    const built = ev.byType("docker:index/remoteImage:RemoteImage").filter((i) => i.inputs.build);
    // And the backup image: the stack's Neo4j image plus restic.
    expect(built.map((i) => i.name).sort()).toEqual(["backup-image", "gmail-image", "health-monitor-image", "rag-image"]);
  });

  it("does not protect volumes", () => {
    // Four stateful volumes, the health monitor's history and the backup volume; the rest hold files the
    // inits write (not state).
    expect(stateVolumes(ev)).toHaveLength(6);
    // Nor anything else: a destroy removes the data and the passwords that open it together.
    expect(ev.resources.filter((r) => r.protect).map((r) => r.name)).toEqual([]);
  });

  it("leaves the firewall off (ports on loopback) but verifies every deploy", () => {
    // The other command makes the gateway's self-signed TLS pair.
    expect(ev.byType("command:local:Command").map((c) => c.name)).toEqual(["gateway-self-signed-tls", "verify-checks"]);
  });
});
