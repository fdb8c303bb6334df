import { execFileSync, spawnSync } from "child_process";
import { afterAll, describe, expect, it } from "vitest";
import { platformSchema, publishedPortClaims } from "../../../components/config/schema";
import {
  RULES_SCRIPT,
  allowedPorts,
  firewallCommand,
  firewallHost,
  firewallPlan,
  readRulesScript,
  scriptArgs,
  type FirewallPlan,
} from "../../../components/firewall/rules";
import { hasTool as has, skipOrFail } from "../../harness/tools";

const isRoot = process.getuid?.() === 0;
// In CI the tools are installed and we are root: a missing one is a broken install, not a reason to skip.
const mustRun = Boolean(process.env.CI);

const config = (over: Record<string, unknown> = {}) => platformSchema.parse({ publishAddress: "0.0.0.0", ...over });

describe("the firewall plan, derived from the configuration", () => {
  const cases: [string, Record<string, unknown>, { allow: string[]; destination: string }][] = [
    [
      "the defaults: every published port from anywhere",
      {},
      { allow: ["8080=0.0.0.0/0", "8082=0.0.0.0/0", "8084=0.0.0.0/0", "8083=0.0.0.0/0"], destination: "any" },
    ],
    [
      "a global source list applies to every port",
      { firewall: { allowFrom: ["10.0.0.0/8", "192.168.1.7"] } },
      {
        allow: ["8080=10.0.0.0/8", "8080=192.168.1.7/32", "8082=10.0.0.0/8", "8082=192.168.1.7/32", "8084=10.0.0.0/8", "8084=192.168.1.7/32", "8083=10.0.0.0/8", "8083=192.168.1.7/32"],
        destination: "any",
      },
    ],
    [
      "a port with its own sources (the monitor only from the office)",
      { firewall: { portSources: { "8083": ["203.0.113.0/24"] } } },
      { allow: ["8080=0.0.0.0/0", "8082=0.0.0.0/0", "8084=0.0.0.0/0", "8083=203.0.113.0/24"], destination: "any" },
    ],
    [
      "a disabled server and a moved port",
      { services: { rag: { enabled: false }, gmail: { publishedPort: 9080 } } },
      { allow: ["9080=0.0.0.0/0", "8082=0.0.0.0/0", "8083=0.0.0.0/0"], destination: "any" },
    ],
    [
      "ports bound to one address: only traffic for that address",
      { publishAddress: "198.51.100.10", services: { graphiti: { enabled: false }, rag: { enabled: false } } },
      { allow: ["8080=0.0.0.0/0", "8083=0.0.0.0/0"], destination: "198.51.100.10" },
    ],
  ];

  it.each(cases)("%s", (_what, over, expected) => {
    const plan = firewallPlan(config(over), "prod");
    expect(plan.allow.map((r) => `${r.port}=${r.source}`)).toEqual(expected.allow);
    expect(plan.destination).toBe(expected.destination);
    expect(plan.chain).toBe("DOCKER-USER");
    expect(plan.tag).toBe("mcp-platform:prod");
  });

  it("allows exactly the ports the platform publishes, each named by the setting that published it", () => {
    const c = config({ services: { extra: { image: "x:1", port: 9000, publishedPort: 9100, memoryMb: 64, cpus: 1 } } });
    const plan = firewallPlan(c, "prod");
    expect(allowedPorts(plan)).toEqual(publishedPortClaims(c).map(([p]) => p).sort((a, b) => a - b));
    expect(plan.allow.find((r) => r.port === 9100)?.claim).toBe("services.extra.publishedPort");
  });

  it("tags rules per stack, so two stacks' rules are told apart", () => {
    expect(firewallPlan(config(), "dev").tag).toBe("mcp-platform:dev");
    expect(firewallPlan(config(), "org/team stack").tag).toBe("mcp-platform:org-team-stack");
  });

  it("passes the script its arguments: apply with chain, interface, tag, destination and PORT=CIDR pairs; remove with the tag", () => {
    const plan = firewallPlan(config({ firewall: { externalInterface: "ens3" } }), "prod");
    expect(scriptArgs(plan, "apply").slice(0, 6)).toEqual(["apply", "DOCKER-USER", "ens3", "mcp-platform:prod", "any", "8080=0.0.0.0/0"]);
    expect(scriptArgs(plan, "remove")).toEqual(["remove", "DOCKER-USER", "mcp-platform:prod"]);
  });

  it("carries the script inline and runs it as root, through sudo -n when the user is not root", () => {
    const cmd = firewallCommand(firewallPlan(config(), "prod"), "apply");
    expect(cmd).toContain(readRulesScript().trimEnd());
    expect(cmd).toMatch(/as_root bash -s -- 'apply' 'DOCKER-USER' 'eth0' 'mcp-platform:prod' 'any' '8080=0\.0\.0\.0\/0'/);
    expect(cmd).toContain("sudo -n");
    expect(() => firewallCommand(firewallPlan(config(), "prod"), "apply", "echo\nMCP_PLATFORM_DOCKER_USER_SH\n")).toThrow(/must not contain/);
  });
});

describe("where the rules run", () => {
  it.each([
    ["unix:///var/run/docker.sock", { kind: "local" }],
    ["ssh://deploy@docker.example.com", { kind: "ssh", host: "docker.example.com", user: "deploy" }],
    ["ssh://deploy@10.0.0.5:2222", { kind: "ssh", host: "10.0.0.5", user: "deploy", port: 2222 }],
    ["ssh://docker.example.com", { kind: "ssh", host: "docker.example.com" }],
  ])("%s", (dockerHost, expected) => {
    expect(firewallHost(dockerHost)).toEqual(expected);
  });

  it("refuses a tcp:// Docker host (the config check reports it first)", () => {
    expect(() => firewallHost("tcp://10.0.0.5:2376")).toThrow(/unix:\/\/ or ssh:\/\//);
  });
});

const shellcheckMissing = !has("shellcheck");
describe("shellcheck", () => {
  it("passes the rule script (bash) and the command that carries it (sh)", (ctx) => {
    skipOrFail(ctx, shellcheckMissing ? "shellcheck is not installed (apt-get install shellcheck)" : undefined, mustRun);
    const script = spawnSync("shellcheck", ["-s", "bash", RULES_SCRIPT], { encoding: "utf8" });
    expect(script.stdout + script.stderr).toBe("");
    expect(script.status).toBe(0);
    for (const action of ["apply", "remove"] as const) {
      const cmd = spawnSync("shellcheck", ["-s", "sh", "-"], { input: firewallCommand(firewallPlan(config(), "prod"), action), encoding: "utf8" });
      expect(cmd.stdout + cmd.stderr, action).toBe("");
      expect(cmd.status, action).toBe(0);
    }
  });
});

// Apply the real command with iptables in a network namespace of our own: no Docker here, so the test
// creates DOCKER-USER with a rule of its own that must survive everything.
const ns = `mcp-fw-${process.pid}`;
const netnsProblem = (() => {
  if (!isRoot) return "not root: creating a network namespace needs root";
  if (!has("ip") || !has("iptables")) return "iproute2 or iptables is not installed (apt-get install iproute2 iptables)";
  const probe = spawnSync("ip", ["netns", "add", ns], { encoding: "utf8" });
  if (probe.status !== 0) return `ip netns add failed: ${probe.stderr.trim()}`;
  return undefined;
})();
afterAll(() => {
  spawnSync("ip", ["netns", "delete", ns]);
});

const inNs = (...args: string[]) => execFileSync("ip", ["netns", "exec", ns, ...args], { encoding: "utf8" });
const chain = () => inNs("iptables", "-S", "DOCKER-USER");
const run = (plan: FirewallPlan, action: "apply" | "remove") => inNs("sh", "-c", firewallCommand(plan, action));

describe("the rules, applied with iptables in a network namespace", () => {
  const mustNotSkip = mustRun && isRoot && has("iptables");
  it("inserts, keeps, updates and removes exactly its rules", (ctx) => {
    skipOrFail(ctx, netnsProblem, mustNotSkip);
    inNs("iptables", "-N", "DOCKER-USER");
    inNs("iptables", "-A", "DOCKER-USER", "-s", "192.0.2.99/32", "-j", "RETURN");
    const before = chain();

    const plan = firewallPlan(config({ firewall: { portSources: { "8083": ["203.0.113.0/24"] } } }), "prod");
    const first = run(plan, "apply");
    expect(first).toContain("applied 6 rules tagged mcp-platform:prod");
    const rules = chain().split("\n").filter((l) => l.startsWith("-A DOCKER-USER"));
    expect(rules).toHaveLength(7);
    expect(rules[0]).toMatch(/--ctstate RELATED,ESTABLISHED .* -j RETURN$/);
    expect(rules[1]).toMatch(/^-A DOCKER-USER -i eth0 -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL .*mcp-platform:prod"? -j RETURN$/);
    expect(rules[4]).toMatch(/^-A DOCKER-USER -s 203\.0\.113\.0\/24 -i eth0 -p tcp -m conntrack --ctorigdstport 8083 /);
    expect(rules[5]).toMatch(/^-A DOCKER-USER -i eth0 -m comment --comment "?mcp-platform:prod"? -j DROP$/);
    expect(rules[6]).toBe("-A DOCKER-USER -s 192.0.2.99/32 -j RETURN");

    // Again: nothing changes, no duplicates.
    const applied = chain();
    expect(run(plan, "apply")).toContain("are in place; nothing to change");
    expect(chain()).toBe(applied);

    // The allowlist changes (rag turned off, gmail only from one network): the old rules go.
    const changed = firewallPlan(config({ services: { rag: { enabled: false } }, firewall: { portSources: { "8080": ["10.1.0.0/16"] } } }), "prod");
    run(changed, "apply");
    const after = chain();
    expect(after).not.toContain("--ctorigdstport 8084");
    expect(after).toMatch(/-s 10\.1\.0\.0\/16 -i eth0 -p tcp -m conntrack --ctorigdstport 8080 /);
    expect(after.split("\n").filter((l) => l.includes("mcp-platform:prod"))).toHaveLength(5);

    // Another stack's rules and the user's rule are not ours to remove.
    run(firewallPlan(config(), "staging"), "apply");
    run(changed, "remove");
    expect(chain()).not.toContain("mcp-platform:prod");
    expect(chain()).toContain("mcp-platform:staging");
    run(firewallPlan(config(), "staging"), "remove");
    expect(chain()).toBe(before);

    // Removing twice is harmless.
    expect(run(changed, "remove")).toContain("removed the rules tagged mcp-platform:prod");
    expect(chain()).toBe(before);
  });

  it("restores the order when someone moved a rule by hand", (ctx) => {
    skipOrFail(ctx, netnsProblem, mustNotSkip);
    const plan = firewallPlan(config(), "prod");
    run(plan, "apply");
    const applied = chain();
    // Move the drop to the top: the same rules, in an order that would block everything.
    inNs("iptables", "-D", "DOCKER-USER", "-i", "eth0", "-m", "comment", "--comment", "mcp-platform:prod", "-j", "DROP");
    inNs("iptables", "-I", "DOCKER-USER", "1", "-i", "eth0", "-m", "comment", "--comment", "mcp-platform:prod", "-j", "DROP");
    expect(run(plan, "apply")).toContain("applied");
    expect(chain()).toBe(applied);
    run(plan, "remove");
  });
});
