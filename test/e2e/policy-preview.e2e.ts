// The policy pack in real previews: the real CLI runs the program and the pack (pulumi-analyzer-policy-nodejs),
// with the docker provider and the engine of the suite. A preview is where a change is reviewed, so every
// critical and high rule must give its verdict there: none may come back "not checked" (values unknown until
// apply), on dev and on prod, on one host and on a Swarm, but the gaps no rule can close before apply
// (test/policies/preview/known-gaps.ts). And a change the pack must refuse is refused in
// the preview, with a violation rather than an advisory.
import { afterAll, describe, expect, it } from "vitest";
import { findCredential } from "../../components/config/credentials";
import { policies } from "../../policies/policies";
import { TLS_SECRETS, stackConfig, swarmConfig } from "../harness/stack-files";
import { FAKE_CREDENTIALS } from "../config/fake-credentials";
import { isKnownGap } from "../policies/preview/known-gaps";
import { ready } from "./lib/context";
import type { DriverResult } from "./lib/driver";
import { describeResult, E2EStack } from "./lib/stack";

const SECRETS = {
  openaiApiKey: "sk-e2e-stand-in-not-a-key",
  gmailOauthKeys: JSON.stringify({ installed: { client_id: "e2e-client", client_secret: "e2e-secret" } }),
};
const PROD_SECRETS = { ...SECRETS, ...Object.fromEntries(Object.entries(TLS_SECRETS).map(([k, v]) => [k.replace("mcp-platform:", ""), v])) };

// Prod's images as `npm run pin` writes them (a stand-in digest: a preview pulls nothing).
function pinned(): Record<string, unknown> {
  const plain = stackConfig("prod", { pinned: false });
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackConfig("prod", { pinned: true })))
    if (plain[k] !== v) out[k.replace("mcp-platform:", "")] = JSON.parse(v) as unknown;
  return out;
}

// Stack-file settings (JSON strings under mcp-platform:) as init's config object.
const unprefixed = (c: Record<string, string>) =>
  Object.fromEntries(Object.entries(c).map(([k, v]) => [k.replace("mcp-platform:", ""), /^[[{]/.test(v) ? (JSON.parse(v) as unknown) : v]));

const SEVERITY = new Map(policies.map((p) => [p.name, p.severity]));
const notChecked = (r: DriverResult) => r.policy.filter((p) => /can't run policy .* during preview/.test(p.message));
// Critical or high rules left "not checked", other than the gaps no rule can close before apply.
const gateFailures = (r: DriverResult) =>
  notChecked(r).filter((p) => ["critical", "high"].includes(SEVERITY.get(p.policy) ?? "") && !isKnownGap(p.policy, p.urn, p.message));

const stacks: E2EStack[] = [];
async function previewOf(ctx: Parameters<typeof ready>[0], name: string, base: "dev" | "prod", config: Record<string, unknown>, policyConfig: "dev" | "prod") {
  const r = ready(ctx);
  const stack = new E2EStack(name, r.toolchain);
  stacks.push(stack);
  const extra = base === "dev" ? { sourceRoot: r.images.sourceRoot } : {};
  await stack.init({ base, config: { dockerHost: r.engineHost, ...extra, ...config }, secrets: base === "prod" ? PROD_SECRETS : SECRETS });
  return stack.op({ op: "preview", policyConfig });
}

describe("the policy pack in real previews", () => {
  afterAll(async () => {
    // Previews create nothing; the stacks' state and project directories go.
    for (const s of stacks) await s.pulumi(["stack", "rm", "--yes", "--force"]).catch(() => undefined);
  });

  it.for([
    ["dev", "dev", {}, "dev"],
    ["prod, pinned", "prod", pinned(), "prod"],
    ["prod on a Swarm, pinned", "prod", { ...pinned(), ...unprefixed(swarmConfig("prod")) }, "prod"],
  ] as const)("%s: no critical or high rule is left 'not checked', and nothing is violated", async ([label, base, config, policyConfig], ctx) => {
    const r = await previewOf(ctx, `e2e-policy-${label.replace(/[^a-z]+/g, "-").replace(/-$/, "")}`, base, config, policyConfig);
    expect(r.ok, describeResult(r)).toBe(true);
    expect(gateFailures(r), describeResult(r)).toEqual([]);
    expect(r.policy.filter((p) => p.level === "mandatory"), describeResult(r)).toEqual([]);
    expect(r.changes.create).toBeGreaterThan(30);
  });

  it("refuses prod as committed (images named by tag) in the preview: a violation per image, not an advisory", async (ctx) => {
    const r = await previewOf(ctx, "e2e-policy-prod-tags", "prod", {}, "prod");
    expect(r.ok, describeResult(r)).toBe(false);
    const refused = r.policy.filter((p) => p.level === "mandatory");
    expect(refused.length, describeResult(r)).toBeGreaterThanOrEqual(6);
    expect(new Set(refused.map((p) => p.policy))).toEqual(new Set(["images-pinned"]));
    expect(gateFailures(r), describeResult(r)).toEqual([]);
  });

  it("refuses a credential pasted into a command line in the preview", async (ctx) => {
    const token = FAKE_CREDENTIALS.find((f) => f.what === "GitHub classic token")!.value;
    expect(findCredential(token)?.kind).toMatch(/GitHub/);
    const dev = stackConfig("dev", { pinned: false });
    const services = JSON.parse(dev["mcp-platform:services"]!) as Record<string, Record<string, unknown>>;
    services.rag = { ...services.rag, command: ["node", "dist/server.js", `--token=${token}`] };
    const r = await previewOf(ctx, "e2e-policy-dev-credential", "dev", { services }, "dev");
    expect(r.ok, describeResult(r)).toBe(false);
    const found = r.policy.filter((p) => p.level === "mandatory" && p.policy === "no-plaintext-credentials");
    expect(found.map((p) => p.message).join("\n"), describeResult(r)).toMatch(/its command looks like a GitHub token/);
    for (const p of r.policy) expect(p.message).not.toContain(token);
  });
});
