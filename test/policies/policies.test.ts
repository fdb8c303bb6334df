// The pack's list and its config files, as a user and the Pulumi CLI read them.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { platformSchema, publishedPortClaims } from "../../components/config/schema";
import { benchmarkOf } from "../../policies/lib/meta";
import { policies } from "../../policies/policies";
import { ROOT, stackConfig } from "../harness/stack-files";
import { packConfig } from "./program";

const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];
const SECURITY_RULES = policies.filter((p) => !["mcp-min-replicas", "capacity-fits-host"].includes(p.name)).map((p) => p.name);

function platform(stack: string) {
  const raw = Object.fromEntries(
    Object.entries(stackConfig(stack)).map(([k, v]) => {
      let value: unknown = v;
      try {
        value = JSON.parse(v);
      } catch {
        // a plain string setting
      }
      return [k.replace(/^mcp-platform:/, ""), value];
    }),
  );
  return platformSchema.parse(raw);
}

describe("the policy list (policies/policies.ts)", () => {
  it("is non-empty, with unique names, each with a description, an enforcement level, a severity, its benchmark item and how to fix it", () => {
    expect(policies.length).toBeGreaterThanOrEqual(30);
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    for (const p of policies) {
      expect(p.name, p.name).toMatch(/^[a-z][a-z0-9-]+$/);
      expect(p.description.length, p.name).toBeGreaterThan(20);
      expect(LEVELS, p.name).toContain(p.enforcementLevel);
      expect(["low", "medium", "high", "critical"], p.name).toContain(p.severity);
      expect(benchmarkOf(p), p.name).toMatch(/^(CIS \d|runbook: )/);
      expect(p.remediationSteps.length, p.name).toBeGreaterThan(20);
    }
  });

  it("has a file under policies/container or policies/stack for each policy, and a test file mirroring it", () => {
    for (const dir of ["container", "stack"])
      for (const f of fs.readdirSync(path.join(ROOT, "policies", dir)))
        expect(fs.existsSync(path.join(ROOT, "test", "policies", dir, f.replace(/\.ts$/, ".test.ts"))), `${dir}/${f}`).toBe(true);
  });
});

describe.each(["dev", "prod"] as const)("policies/config/%s.json", (env) => {
  const config = packConfig(env);

  it("names only policies of the pack and settings of their config schema", () => {
    for (const [name, value] of Object.entries(config)) {
      if (name === "all") continue;
      const p = policies.find((x) => x.name === name);
      expect(p, name).toBeDefined();
      if (typeof value === "string") continue;
      const { enforcementLevel, ...settings } = value;
      if (enforcementLevel) expect(LEVELS).toContain(enforcementLevel);
      for (const key of Object.keys(settings)) expect(Object.keys(p!.configSchema?.properties ?? {}), `${name}.${key}`).toContain(key);
    }
  });

  it("gives a reason with every exception", () => {
    for (const value of Object.values(config))
      if (typeof value === "object")
        for (const e of (value.exceptions ?? []) as { reason?: string; service?: string; component?: string }[]) {
          expect(e.reason?.length ?? 0).toBeGreaterThan(30);
          expect(e.service ?? e.component).toBeTruthy();
        }
  });

  it("allows every host port the stack publishes (publishedPortClaims)", () => {
    const allowed = (config["published-ports-allowlisted"] as { allowedPorts: number[] }).allowedPorts;
    for (const [p, key] of publishedPortClaims(platform(env))) expect(allowed, key).toContain(p);
  });
});

describe("prod's config", () => {
  it("makes every security rule mandatory", () => {
    const config = packConfig("prod");
    expect(config.all).toBe("mandatory");
    for (const name of SECURITY_RULES) {
      const c = config[name];
      const level = typeof c === "string" ? c : (c?.enforcementLevel ?? config.all);
      expect(level, name).toBe("mandatory");
    }
  });

  it("allows 0.0.0.0 only because Pulumi.prod.yaml publishes there, and says why", () => {
    expect(platform("prod").publishAddress).toBe("0.0.0.0");
    const c = packConfig("prod")["ports-bound-to-interface"] as { allowAllInterfaces: boolean; reason: string };
    expect(c.allowAllInterfaces).toBe(true);
    expect(c.reason).toMatch(/DOCKER-USER/);
    expect(platform("dev").publishAddress).toBe("127.0.0.1");
    expect((packConfig("dev")["ports-bound-to-interface"] as { allowAllInterfaces: boolean }).allowAllInterfaces).toBe(false);
  });

  it("holds backups to the runbook's 1-hour RPO and MCP servers to two replicas", () => {
    expect((packConfig("prod")["backup-covers-stateful-volumes"] as { rpoMinutes: number }).rpoMinutes).toBe(60);
    expect((packConfig("prod")["mcp-min-replicas"] as { minReplicas: number }).minReplicas).toBe(2);
  });
});

describe("policies/ as a Pulumi policy pack", () => {
  it("has PulumiPolicy.yaml (nodejs, TypeScript), its own package.json, and an index.ts that only constructs the pack", () => {
    const yaml = fs.readFileSync(path.join(ROOT, "policies", "PulumiPolicy.yaml"), "utf8");
    expect(yaml).toMatch(/runtime:\s*\n\s+name: nodejs/);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string> };
    expect(pkg.name).toBe("mcp-platform-policies");
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    // One install at the root is enough: each dependency is the root's, at the same version.
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const [dep, version] of Object.entries(pkg.dependencies)) expect(root.dependencies[dep], dep).toBe(version);
    const index = fs.readFileSync(path.join(ROOT, "policies", "index.ts"), "utf8");
    expect(index.match(/new PolicyPack\(/g)).toHaveLength(1);
  });
});

describe("the rule table (docs/reference/policies.md, generated by npm run docs)", () => {
  it("lists every rule with its benchmark item and its dev / prod enforcement", () => {
    const readme = fs.readFileSync(path.join(ROOT, "docs", "reference", "policies.md"), "utf8");
    const level = (env: "dev" | "prod", name: string) => {
      const c = packConfig(env);
      const x = c[name];
      return (typeof x === "string" ? x : x?.enforcementLevel) ?? c.all;
    };
    for (const p of policies) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${p.name}\` |`));
      expect(row, p.name).toBeDefined();
      expect(row).toContain(`| ${level("dev", p.name)} / ${level("prod", p.name)} |`);
      expect(row).toContain(benchmarkOf(p).replace(/\|/g, "\\|"));
    }
  });
});
