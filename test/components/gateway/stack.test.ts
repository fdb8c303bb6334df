// The real program under mocks with gmail scaled to 3 (as `pulumi config set --path services.gmail.replicas 3`).
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, reveal, type Evaluation } from "../../harness/program";
import { stackConfig } from "../../harness/stack-files";
import { filesOf, replicasOf, serviceContainers } from "../../stacks/declared";

let ev: Evaluation;
beforeAll(async () => {
  const services = JSON.parse(stackConfig("dev")["mcp-platform:services"]!) as Record<string, Record<string, unknown>>;
  services.gmail!.replicas = 3;
  ev = await evaluateStack("dev", { config: { "mcp-platform:services": JSON.stringify(services) } });
});

describe("scaling gmail to 3 replicas", () => {
  it("declares gmail-1..3, each depending on the one before and waiting for its healthcheck", () => {
    const gmail = replicasOf(ev, "gmail");
    expect(gmail.map((r) => r.name)).toEqual(["gmail-1", "gmail-2", "gmail-3"]);
    expect(gmail.map((r) => r.dependsOn.filter((d) => /^gmail-\d$/.test(d)))).toEqual([[], ["gmail-1"], ["gmail-2"]]);
    for (const r of gmail) {
      expect(r.inputs.wait, r.name).toBe(true);
      expect((reveal(r.inputs.healthcheck) as { tests: string[] }).tests.join(" "), r.name).toContain("/dev/tcp/127.0.0.1/8080 && printf 'GET /health ");
    }
    // Declared in order too, so a first deployment also starts them one after another.
    const names = ev.resources.map((r) => r.name);
    expect(names.indexOf("gmail-1")).toBeLessThan(names.indexOf("gmail-2"));
    expect(names.indexOf("gmail-2")).toBeLessThan(names.indexOf("gmail-3"));
  });

  it("puts all three in the gateway's gmail backend, and the gateway starts after them", () => {
    const [gateway] = serviceContainers(ev, "gateway");
    const conf = filesOf(ev, "gateway").find((f) => f.path.endsWith("/haproxy.cfg"))!.content;
    const servers = conf.match(/server gmail-\d gmail-\d:8080/g);
    expect(servers).toEqual([1, 2, 3].map((i) => `server gmail-${i} gmail-${i}:8080`));
    expect(gateway!.dependsOn).toEqual(expect.arrayContaining(["gmail-1", "gmail-2", "gmail-3"]));
  });

  it("still publishes host ports from the gateway only", () => {
    const publishers = serviceContainers(ev).filter((c) => ((reveal(c.inputs.ports) ?? []) as unknown[]).length > 0);
    expect(publishers.map((c) => c.name)).toEqual(["gateway-1"]);
  });
});
