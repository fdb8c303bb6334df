// A prod-like stack for real: Pulumi.prod.yaml with two replicas of each MCP server, every image pinned
// by its digest in the suite's registry, published on 0.0.0.0 behind TLS with API keys, and the firewall
// on: its DOCKER-USER allowlist is tried with clients in network namespaces of the test's own. Then a
// second preview and up that change nothing, a destroy that keeps the protected volumes, and an up that
// comes back on them.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness/stack-files";
import { inspectAll, label, ready, recordFigure, tryReady, type Inspected } from "./lib/context";
import { registryRef } from "./lib/images";
import { run } from "./lib/run";
import { describeResult, E2EStack, itChangesNothingAfterARefresh } from "./lib/stack";
import { RUN } from "./lib/toolchain";

const NAME = "e2e-prod";
// The outside network the firewall guards: a bridge with an allowed and a refused client behind it.
const EXT = `x${RUN}`.slice(0, 12);
const HOST_IP = "10.98.0.1";
const ALLOWED = { ns: `${RUN}-ok`, ip: "10.98.0.2" };
const REFUSED = { ns: `${RUN}-no`, ip: "10.98.0.3" };

const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { encoding: "utf8" });

// A client namespace on the bridge: veth into it, its address, a route to the host.
function client(c: { ns: string; ip: string }, i: number): void {
  sh(`ip netns del ${c.ns} 2>/dev/null; ip netns add ${c.ns}; ip -n ${c.ns} link set lo up`);
  sh(`ip link del ${EXT}v${i} 2>/dev/null; ip link add ${EXT}v${i} type veth peer name eth0 netns ${c.ns}`);
  sh(`ip link set ${EXT}v${i} master ${EXT} up; ip -n ${c.ns} addr add ${c.ip}/24 dev eth0; ip -n ${c.ns} link set eth0 up`);
}

// A self-signed certificate for the address clients use.
function certificate(dir: string): { cert: string; key: string } {
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=mcp-e2e", "-addext", `subjectAltName=IP:127.0.0.1,IP:${HOST_IP}`, "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
  return { cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "key.pem"), "utf8") };
}

const dockerUser = () => sh("iptables -S DOCKER-USER 2>/dev/null || true");

describe("a prod-like stack on a real Docker engine, firewall on", () => {
  let stack: E2EStack;
  let containers: Inspected[] = [];
  let rulesBefore = "";
  let backupPasswordBefore: unknown;
  const services = () => containers.filter((c) => label(c, "component") !== "volume-init");

  beforeAll(async () => {
    const r = tryReady();
    if (!r) return;
    sh(`ip link del ${EXT} 2>/dev/null; ip link add ${EXT} type bridge; ip addr add ${HOST_IP}/24 dev ${EXT}; ip link set ${EXT} up`);
    client(ALLOWED, 1);
    client(REFUSED, 2);
    const tls = certificate(fs.mkdtempSync(path.join(os.tmpdir(), "e2e-tls-")));
    const pinned = (hub: string) => `${hub}@${r.images.hub[hub]}`;
    stack = new E2EStack(NAME, r.toolchain);
    await stack.init({
      base: "prod",
      config: {
        dockerHost: r.engineHost,
        sourceRoot: r.images.sourceRoot,
        neo4j: { image: pinned("neo4j:5.26"), memoryMb: 2048, cpus: 1 },
        services: {
          gmail: { image: r.images.aiPa["gmail-mcp"], replicas: 2, memoryMb: 256, cpus: 0.5 },
          graphiti: { image: pinned("zepai/knowledge-graph-mcp:1.0.1-standalone"), replicas: 2, memoryMb: 512, cpus: 0.5 },
          rag: { image: r.images.aiPa["rag-mcp"], replicas: 2, memoryMb: 256, cpus: 0.5 },
        },
        healthMonitor: { image: r.images.monitor, memoryMb: 256, cpus: 0.5 },
        backup: { image: r.images.backup, rpoMinutes: 60, schedules: [{ name: "hourly", cron: "0 * * * *" }] },
        gateway: { image: pinned("haproxy:3.2"), publicHost: HOST_IP, tls: { certificate: "tlsCertificate", privateKey: "tlsPrivateKey" }, allowedOrigins: [], memoryMb: 256, cpus: 1 },
        firewall: { externalInterface: EXT, allowFrom: [`${ALLOWED.ip}/32`] },
      },
      secrets: {
        openaiApiKey: "sk-e2e-stand-in-not-a-key",
        gmailOauthKeys: JSON.stringify({ installed: { client_id: "e2e-client", client_secret: "e2e-secret" } }),
        tlsCertificate: tls.cert,
        tlsPrivateKey: tls.key,
      },
    });
    rulesBefore = dockerUser();
  });

  afterAll(async () => {
    if (tryReady() && stack) {
      await stack.op({ op: "destroy", excludeProtected: true }).catch(() => undefined);
      // The protected volumes are meant to outlive a destroy; not the suite.
      const e = tryReady()!.engine;
      const volumes = (await e.docker(["volume", "ls", "-q", "--filter", `label=dev.mcp-platform.stack=${NAME}`])).stdout.split("\n").filter(Boolean);
      if (volumes.length) await e.docker(["volume", "rm", "-f", ...volumes], { allowFail: true });
      for (const c of [ALLOWED, REFUSED]) sh(`ip netns del ${c.ns} 2>/dev/null || true`);
      sh(`ip link del ${EXT} 2>/dev/null || true`);
    }
  });

  it("pins every image by digest in its registry", (ctx) => {
    const { images, registry } = ready(ctx);
    for (const digest of Object.values(images.hub)) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(registryRef(registry, "neo4j:5.26")).toBe(`${registry}/library/neo4j:5.26`);
    for (const ref of [...Object.values(images.aiPa), images.monitor, images.backup]) expect(ref).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it("previews with the policy pack and the prod policy config: no mandatory violation", async (ctx) => {
    ready(ctx);
    const r = await stack.op({ op: "preview", policyConfig: "prod" });
    expect(r.ok, describeResult(r)).toBe(true);
    expect(r.policy.filter((p) => p.level === "mandatory"), describeResult(r)).toEqual([]);
  });

  it("comes up: two healthy replicas of each server, every image pulled by digest", async (ctx) => {
    const { engine, images } = ready(ctx);
    const r = await stack.op({ op: "up", policyConfig: "prod" });
    expect(r.ok, describeResult(r)).toBe(true);
    recordFigure("prod-like: pulumi up to all healthy (2 replicas each, firewall on)", r.seconds, "s");
    containers = await inspectAll(engine, ["label=environment=prod"]);
    for (const s of ["gmail", "graphiti", "rag"]) expect(services().filter((c) => label(c, "service") === s)).toHaveLength(2);
    for (const c of services()) {
      expect(`${c.Name} ${c.State.Status} ${c.State.Health?.Status}`).toBe(`${c.Name} running healthy`);
    }
    // Each container runs the image id of an image pulled by one of the pinned digests.
    const pinned = new Set([...Object.values(images.hub), ...[...Object.values(images.aiPa), images.monitor, images.backup].map((r) => r.split("@")[1]!)]);
    for (const id of new Set(services().map((c) => c.Config.Image))) {
      const digests = JSON.parse((await engine.docker(["image", "inspect", "--format", "{{json .RepoDigests}}", id])).stdout) as string[];
      expect(digests.some((d) => pinned.has(d.split("@")[1]!)), `${id}: ${digests.join(" ")}`).toBe(true);
    }
    const gateway = services().find((c) => label(c, "component") === "gateway")!;
    expect(Object.values(gateway.HostConfig.PortBindings ?? {}).flat().map((p) => p.HostIp)).toEqual(expect.arrayContaining(["0.0.0.0"]));
  });

  it("passes `npm run verify -- --stack` over TLS with the generated API keys", async (ctx) => {
    ready(ctx);
    const r = await run(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "components/verify/cli.ts"), "--stack", NAME, "--timeout", "60"], { env: stack.env, cwd: stack.workDir, allowFail: true });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("lets the allowed source reach a published port through DOCKER-USER, and drops the other", async (ctx) => {
    ready(ctx);
    const curl = (ns: string) =>
      run("ip", ["netns", "exec", ns, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--connect-timeout", "3", `https://${HOST_IP}:8080/health`], { allowFail: true });
    expect((await curl(ALLOWED.ns)).stdout).toBe("200");
    const refused = await curl(REFUSED.ns);
    expect(refused.stdout).toBe("000");
    expect(refused.status).toBe(28); // curl: connection timed out (dropped, not refused)
    expect(dockerUser()).toMatch(new RegExp(`-A DOCKER-USER -i ${EXT} .*-j DROP`));
  });

  it("changes nothing on a second preview (--expect-no-changes) or a second up", async (ctx) => {
    ready(ctx);
    const rules = dockerUser();
    const preview = await stack.op({ op: "preview", policyConfig: "prod", expectNoChanges: true });
    expect(preview.ok, describeResult(preview)).toBe(true);
    recordFigure("prod-like: no-op pulumi preview with the policy pack", preview.seconds, "s");
    const up = await stack.op({ op: "up", policyConfig: "prod", expectNoChanges: true });
    expect(up.ok, describeResult(up)).toBe(true);
    expect(dockerUser()).toBe(rules);
  });

  itChangesNothingAfterARefresh(() => stack, () => "prod");

  it("destroys all but the protected volumes, and removes exactly the platform's firewall rules", async (ctx) => {
    const { engine } = ready(ctx);
    const protectedVolumes = (await engine.docker(["volume", "ls", "-q", "--filter", "label=dev.mcp-platform.stack=" + NAME])).stdout.split("\n").filter(Boolean).sort();
    expect(protectedVolumes.length).toBeGreaterThan(3);
    backupPasswordBefore = (await stack.outputs()).backupPassword;
    const r = await stack.op({ op: "destroy", excludeProtected: true });
    expect(r.ok, describeResult(r)).toBe(true);
    expect(await inspectAll(engine, ["label=environment=prod"])).toEqual([]);
    const left = (await engine.docker(["volume", "ls", "-q"])).stdout.split("\n").filter(Boolean).sort();
    expect(left).toEqual(protectedVolumes);
    expect(dockerUser()).toBe(rulesBefore);
  });

  // Neo4j sets its password only when it creates its database, and restic opens the backups' repository
  // only with the password it was made with: a destroy that keeps the data keeps them. A changed
  // neo4j.passwordLength does not replace the kept one either: it gets a warning.
  it("comes back on what the destroy kept: Neo4j opens its data with the kept password, the backups keep theirs", async (ctx) => {
    const { engine } = ready(ctx);
    const state = (JSON.parse(await stack.pulumi(["stack", "export"])) as { deployment: { resources: { type: string; urn: string }[] } }).deployment.resources;
    const passwords = state.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => r.urn.split("::").pop()).sort();
    expect(passwords).toEqual(["backup-password", "neo4j-password"]);
    expect(backupPasswordBefore).toEqual(expect.any(String));
    await stack.pulumi(["config", "set", "--path", "mcp-platform:neo4j.passwordLength", "40"]);
    const r = await stack.op({ op: "up", policyConfig: "prod" });
    // graphiti's healthcheck asks Neo4j, and `up` waits for every replica to be healthy.
    expect(r.ok, describeResult(r)).toBe(true);
    expect(r.steps.filter((s) => /::(neo4j|backup)-password\b/.test(s)), r.steps.join("\n")).toEqual([]);
    expect(r.diagnostics.filter((d) => d.includes("neo4j.passwordLength is 40")), r.diagnostics.join("\n")).toHaveLength(1);
    const back = await inspectAll(engine, ["label=environment=prod"]);
    const graphiti = back.filter((c) => label(c, "service") === "graphiti" && label(c, "component") !== "volume-init");
    expect(graphiti.length).toBe(2);
    for (const c of graphiti) expect(c.State.Health?.Status, c.Name).toBe("healthy");
    expect((await stack.outputs()).backupPassword).toBe(backupPasswordBefore);
  });
});
