// The firewall's plan, derived from the configuration, and the commands that apply and remove it.
// Pure: the Firewall component and the tests (which run the commands for real in a network namespace)
// share these.
import * as fs from "fs";
import * as path from "path";
import { publishedPortClaims, type PlatformConfig } from "../config/schema";

export const RULES_SCRIPT = path.join(__dirname, "docker-user.sh");
export const DOCKER_USER = "DOCKER-USER";

export interface AllowRule {
  port: number;
  source: string;
  // The setting that published the port (from publishedPortClaims).
  claim: string;
}

export interface FirewallPlan {
  chain: string;
  externalInterface: string;
  // iptables comment on every rule: removal deletes exactly these.
  tag: string;
  // Original destination address the allowed traffic must be for, or "any" when ports bind to every interface.
  destination: string;
  allow: AllowRule[];
}

// The allowlist is what the platform publishes (the gateway's ports), each from its configured sources.
export function firewallPlan(c: PlatformConfig, stack: string): FirewallPlan {
  const allow: AllowRule[] = [];
  for (const [port, claim] of publishedPortClaims(c)) {
    const sources = c.firewall.portSources[String(port)] ?? c.firewall.allowFrom;
    for (const source of [...new Set(sources)]) allow.push({ port, source, claim });
  }
  const anyAddress = c.publishAddress === "0.0.0.0" || c.publishAddress.includes(":");
  return {
    chain: DOCKER_USER,
    externalInterface: c.firewall.externalInterface,
    tag: `mcp-platform:${stack.replace(/[^A-Za-z0-9_.-]/g, "-")}`,
    destination: anyAddress ? "any" : c.publishAddress,
    allow,
  };
}

export function allowedPorts(plan: FirewallPlan): number[] {
  return [...new Set(plan.allow.map((r) => r.port))].sort((a, b) => a - b);
}

export type FirewallAction = "apply" | "remove";

export function scriptArgs(plan: FirewallPlan, action: FirewallAction): string[] {
  if (action === "remove") return ["remove", plan.chain, plan.tag];
  return ["apply", plan.chain, plan.externalInterface, plan.tag, plan.destination, ...plan.allow.map((r) => `${r.port}=${r.source}`)];
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const HEREDOC = "MCP_PLATFORM_DOCKER_USER_SH";

export function readRulesScript(): string {
  return fs.readFileSync(RULES_SCRIPT, "utf8");
}

// One POSIX sh command that runs the rule script (carried inline, so it needs no file on the Docker host
// and works the same locally and over SSH) as root, through `sudo -n` when the user is not root.
export function firewallCommand(plan: FirewallPlan, action: FirewallAction, script: string = readRulesScript()): string {
  if (script.split("\n").includes(HEREDOC)) throw new Error(`the rule script must not contain a line ${HEREDOC}`);
  const args = scriptArgs(plan, action).map(shellQuote).join(" ");
  return [
    'if [ "$(id -u)" = 0 ]; then as_root() { "$@"; }; else as_root() { sudo -n "$@"; }; fi',
    `as_root bash -s -- ${args} <<'${HEREDOC}'`,
    script.endsWith("\n") ? script.slice(0, -1) : script,
    HEREDOC,
    "",
  ].join("\n");
}

export type FirewallHost = { kind: "local" } | { kind: "ssh"; host: string; user?: string; port?: number };

// Where the rules run: the Docker host of the stack, this machine for unix://, over SSH for ssh://.
export function firewallHost(dockerHost: string): FirewallHost {
  if (dockerHost.startsWith("unix://")) return { kind: "local" };
  const m = /^ssh:\/\/(?:([^@/]+)@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(dockerHost);
  if (!m) throw new Error(`the firewall runs on unix:// or ssh:// Docker hosts, not ${dockerHost}`);
  return {
    kind: "ssh",
    host: m[2]!.replace(/^\[|\]$/g, ""),
    ...(m[1] ? { user: m[1] } : {}),
    ...(m[3] ? { port: Number(m[3]) } : {}),
  };
}
