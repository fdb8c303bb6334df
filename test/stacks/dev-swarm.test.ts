// The dev stack in swarm mode under mocks: the images it builds are pushed to swarm.registry and every
// service names a registry digest (a Swarm node pulls what a service names; a local image id exists on
// the manager only). The real three-node run is test/e2e/swarm.e2e.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, reveal, type DeclaredResource, type Evaluation } from "../harness/program";
import { fakeSecrets, TLS_SECRETS } from "../harness/stack-files";

type Obj = Record<string, unknown>;
const image = (s: DeclaredResource) => ((reveal(s.inputs.taskSpec) as Obj).containerSpec as Obj).image as string;

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("dev", {
    config: {
      "mcp-platform:mode": "swarm",
      "mcp-platform:publishAddress": "0.0.0.0",
      "mcp-platform:swarm": JSON.stringify({ registry: "http://127.0.0.1:5000" }),
      "mcp-platform:gateway": JSON.stringify({ replicas: 2, tls: { certificate: "tlsCertificate", privateKey: "tlsPrivateKey" } }),
    },
    secrets: { ...fakeSecrets("dev"), ...TLS_SECRETS },
  });
});

describe("the dev stack in swarm mode", () => {
  it("builds each image under the registry's name and pushes it there, kept in the registry on destroy", () => {
    const built = ev.byType("docker:index/remoteImage:RemoteImage").filter((r) => r.inputs.build);
    expect(built.map((r) => r.inputs.name).sort()).toEqual([
      "127.0.0.1:5000/mcp-platform/gmail:dev",
      "127.0.0.1:5000/mcp-platform/health-monitor:dev",
      "127.0.0.1:5000/mcp-platform/rag:dev",
    ]);
    const pushes = ev.byType("docker:index/registryImage:RegistryImage");
    expect(pushes.map((p) => p.inputs.name).sort()).toEqual(built.map((r) => r.inputs.name).sort());
    for (const p of pushes) {
      expect(p.inputs.keepRemotely, p.name).toBe(true);
      // Plain HTTP for this registry (http:// in swarm.registry), where the provider reads the digest back.
      expect(p.inputs.authConfig, p.name).toEqual({ address: "http://127.0.0.1:5000" });
      // A rebuilt image (a new id) is pushed again.
      expect(Object.keys(p.inputs.triggers as Obj), p.name).toEqual(["imageId"]);
      expect(p.dependsOn.some((d) => d.endsWith("-image")), p.name).toBe(true);
    }
  });

  it("names every service's image by registry digest: pushed builds by their pushed digest, pulled images by their repo digest", () => {
    const services = ev.byType("docker:index/service:Service");
    expect(services.length).toBeGreaterThan(6);
    for (const s of services) expect(image(s), s.name).toMatch(/^[a-z0-9./:-]+@sha256:[0-9a-f]{64}$/);
    const byName = (n: string) => image(services.find((s) => s.name === n)!);
    expect(byName("gmail-1")).toMatch(/^127\.0\.0\.1:5000\/mcp-platform\/gmail@sha256:/);
    expect(byName("health-monitor")).toMatch(/^127\.0\.0\.1:5000\/mcp-platform\/health-monitor@sha256:/);
    expect(byName("neo4j")).toMatch(/^neo4j@sha256:/);
  });
});
