// The dev stack with the firewall turned on (as a stack config override), evaluated under mocks: the
// firewall and the verification are wired to what the platform really declares.
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../components/config/load";
import { publishedPortClaims } from "../../components/config/schema";
import { evaluateStack, reveal, type Evaluation } from "../harness/program";
import { FAKE_SECRETS, stackConfig } from "../harness/stack-files";
import { serviceContainers } from "./declared";

const COMMAND = "command:local:Command";
const override = { "mcp-platform:firewall": JSON.stringify({ enabled: true, portSources: { "8083": ["10.0.0.0/8"] } }) };

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("dev", { config: override });
});

const command = (name: string) => {
  const found = ev.byType(COMMAND).find((c) => c.name === name);
  if (!found) throw new Error(`no local command ${name}; declared: ${ev.byType(COMMAND).map((c) => c.name).join(", ")}`);
  return reveal(found.inputs) as { create: string; update: string; delete: string; triggers: unknown[]; dir: string };
};

describe("the firewall of a stack that turns it on", () => {
  it("allows exactly the ports the gateway publishes (publishedPortClaims), each from its configured sources", () => {
    const { config } = parseConfig({ ...stackConfig("dev"), ...override, ...FAKE_SECRETS }, (k) => k in FAKE_SECRETS, () => true);
    const fw = command("firewall-docker-user");
    const pairs = [...fw.create.matchAll(/'(\d+)=([\d./]+)'/g)].map((m) => [Number(m[1]), m[2]]);
    expect(pairs.map(([p]) => p)).toEqual(publishedPortClaims(config).map(([p]) => p));
    expect(pairs).toContainEqual([8083, "10.0.0.0/8"]);
    expect(pairs).toContainEqual([8080, "0.0.0.0/0"]);
  });

  it("runs on this machine for a unix:// Docker host: applies on create and update, removes its tagged rules on delete", () => {
    const fw = command("firewall-docker-user");
    expect(fw.create).toMatch(/as_root bash -s -- 'apply' 'DOCKER-USER' 'eth0' 'mcp-platform:dev' '127\.0\.0\.1' /);
    expect(fw.update).toBe(fw.create);
    expect(fw.delete).toMatch(/as_root bash -s -- 'remove' 'DOCKER-USER' 'mcp-platform:dev' <</);
    expect(ev.byType("mcp-platform:firewall:Firewall")).toHaveLength(1);
  });
});

describe("the verification after every deploy", () => {
  it("depends on every service container: each one's id is among its triggers", () => {
    const verify = command("verify-checks");
    const containers = serviceContainers(ev);
    expect(containers.length).toBeGreaterThanOrEqual(5);
    for (const c of containers) expect(verify.triggers, c.name).toContain(`${c.name}-id`);
  });

  it("runs after the firewall rules, so that it sees the host as users do", () => {
    expect(command("verify-checks").triggers).toContain("firewall-docker-user-id");
  });

  it("reruns when a container it checks is replaced, and only then: its triggers are the containers' ids", () => {
    const triggers = command("verify-checks").triggers as unknown[];
    expect(triggers.length).toBeGreaterThan(0);
    // The mocks give each resource the id `<name>-id`; no timestamp, so an unchanged stack stays unchanged.
    for (const t of triggers) expect(String(t)).toMatch(/-id$/);
  });

  it("runs the verify CLI from the project with every MCP server and the health monitor", () => {
    const verify = command("verify-checks");
    expect(verify.update).toBe(verify.create);
    const m = /^npx --no tsx components\/verify\/cli\.ts --timeout 120 --endpoints '(.*)'$/.exec(verify.create);
    expect(m, verify.create).not.toBeNull();
    const endpoints = JSON.parse(m![1]!) as { name: string; healthUrl: string; mcpUrl?: string }[];
    expect(endpoints).toEqual([
      { name: "gmail", healthUrl: "https://127.0.0.1:8080/health", mcpUrl: "https://127.0.0.1:8080/mcp" },
      { name: "graphiti", healthUrl: "https://127.0.0.1:8082/health", mcpUrl: "https://127.0.0.1:8082/mcp" },
      { name: "rag", healthUrl: "https://127.0.0.1:8084/health", mcpUrl: "https://127.0.0.1:8084/mcp" },
      { name: "health-monitor", healthUrl: "https://127.0.0.1:8083/health" },
    ]);
  });
});
