// The dev stack for real: Pulumi.dev.yaml on the suite's Docker engine, built from an ai-PA checkout of
// stand-in servers, every other image pulled through the registry on loopback. Preview with the policy
// pack, up, what Docker then runs, the verification, the backend's isolation, a second preview and up
// that change nothing, and a destroy that leaves nothing behind.
import * as net from "net";
import * as path from "path";
import { Agent, fetch as undiciFetch } from "undici";
import { parse } from "yaml";
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness/stack-files";
import { inspectAll, label, pollUntil, ready, recordFigure, tryReady, type Inspected } from "./lib/context";
import { run } from "./lib/run";
import { describeResult, E2EStack, itChangesNothingAfterARefresh } from "./lib/stack";

const NAME = "e2e-dev";
const MONITOR_INTERVAL_SECONDS = 10;
const SECRETS = {
  openaiApiKey: "sk-e2e-stand-in-not-a-key",
  gmailOauthKeys: JSON.stringify({ installed: { client_id: "e2e-client", client_secret: "e2e-secret" } }),
};

describe("the dev stack on a real Docker engine", () => {
  let stack: E2EStack;
  let containers: Inspected[] = [];
  const services = () => containers.filter((c) => label(c, "component") !== "volume-init");
  const inits = () => containers.filter((c) => label(c, "component") === "volume-init");

  beforeAll(async () => {
    const r = tryReady();
    if (!r) return;
    stack = new E2EStack(NAME, r.toolchain);
    // The committed dev settings, with the monitor probing every 10 s rather than 30 s so that its alerts
    // (3 failed checks in a row) come within the test's patience. Not shorter: its probes through the gateway
    // count against each route's rate limit (dev: 100 a minute), and at 3 s they used it all up.
    const dev = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> };
    const healthMonitor = { ...dev.config["mcp-platform:healthMonitor"], intervalSeconds: MONITOR_INTERVAL_SECONDS };
    await stack.init({ base: "dev", config: { dockerHost: r.engineHost, sourceRoot: r.images.sourceRoot, healthMonitor }, secrets: SECRETS });
  });

  afterAll(async () => {
    // Leave nothing running for the next file, whatever failed.
    const r = tryReady();
    if (r && stack) await stack.op({ op: "destroy" }).catch(() => undefined);
  });

  it("previews with the policy pack and the dev policy config: no mandatory violation", async (ctx) => {
    ready(ctx);
    const r = await stack.op({ op: "preview", policyConfig: "dev" });
    expect(r.ok, describeResult(r)).toBe(true);
    expect(r.policy.filter((p) => p.level === "mandatory"), describeResult(r)).toEqual([]);
    expect(r.changes.create).toBeGreaterThan(30);
  });

  it("comes up with `pulumi up` and the policy pack, every container healthy and every init exited 0", async (ctx) => {
    const { engine } = ready(ctx);
    const r = await stack.op({ op: "up", policyConfig: "dev" });
    expect(r.ok, describeResult(r)).toBe(true);
    recordFigure("dev: pulumi up to all healthy (first deploy, images built)", r.seconds, "s");
    // The engine was asked its version, and is current: no notice about it.
    expect(r.diagnostics.filter((d) => /Docker engine/.test(d))).toEqual([]);
    containers = await inspectAll(engine, [`label=environment=dev`]);
    expect(services().map((c) => label(c, "service")).sort()).toEqual(["backup", "gateway", "gmail", "graphiti", "health-monitor", "neo4j", "rag"]);
    for (const c of services()) expect(`${c.Name} ${c.State.Status} ${c.State.Health?.Status}`).toBe(`${c.Name} running healthy`);
    expect(inits().length).toBeGreaterThan(0);
    for (const c of inits()) expect(`${c.Name} ${c.State.Status} ${c.State.ExitCode}`).toBe(`${c.Name} exited 0`);
  });

  it("runs each service with the declared hardening, as `docker inspect` shows it", (ctx) => {
    ready(ctx);
    for (const c of services()) {
      const h = c.HostConfig;
      const name = `${label(c, "service")} (${c.Name})`;
      expect(c.Config.User, name).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(h.ReadonlyRootfs, name).toBe(label(c, "service") !== "neo4j");
      expect(h.CapDrop, name).toEqual(["ALL"]);
      expect(h.CapAdd ?? [], name).toEqual([]);
      expect(h.SecurityOpt, name).toContain("no-new-privileges:true");
      expect(h.Privileged, name).toBe(false);
      expect(h.Init, name).toBe(true);
      expect(h.Memory, name).toBeGreaterThan(0);
      expect(h.MemorySwap, name).toBe(h.Memory);
      expect(h.NanoCpus, name).toBeGreaterThan(0);
      expect(h.LogConfig, name).toEqual({ Type: "json-file", Config: { "max-size": "10m", "max-file": "3", labels: "service,component,environment" } });
      expect(h.RestartPolicy, name).toEqual({ Name: "unless-stopped", MaximumRetryCount: 0 });
      expect(h.NetworkMode, name).not.toBe("default");
      // Files arrive through the init's volumes, read-only.
      for (const m of c.Mounts.filter((m) => m.Name?.includes("-files-"))) expect(m.RW, `${name} ${m.Destination}`).toBe(false);
      const published = Object.values(h.PortBindings ?? {}).flat();
      if (label(c, "component") === "gateway") expect(published.map((p) => p.HostIp)).toEqual(published.map(() => "127.0.0.1"));
      else expect(published, name).toEqual([]);
    }
    // The one-shot inits: root with CHOWN only, no network, never restarted.
    for (const c of inits()) {
      expect([c.HostConfig.CapDrop, c.HostConfig.CapAdd, c.HostConfig.NetworkMode, c.HostConfig.RestartPolicy.Name]).toEqual([["ALL"], ["CAP_CHOWN"], "none", "no"]);
    }
  });

  it("passes `npm run verify -- --stack`: health and an MCP handshake through the gateway, for every server", async (ctx) => {
    ready(ctx);
    const r = await run(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "components/verify/cli.ts"), "--stack", NAME, "--timeout", "60"], {
      env: stack.env,
      cwd: stack.workDir,
      allowFail: true,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const s of ["gmail", "graphiti", "rag"]) expect(r.stdout).toMatch(new RegExp(`^${s}\\s+ok \\(HTTP 200\\)\\s+ok \\(\\d+ tools\\)`, "m"));
    expect(r.stdout).toMatch(/^health-monitor\s+ok \(HTTP 200\)/m);
  });

  it("has the health monitor see the fleet: every service healthy, then a stopped server and a stale backup each alerted and resolved", async (ctx) => {
    const { engine } = ready(ctx);
    const outputs = await stack.outputs();
    const key = Object.values((outputs.apiKeys as Record<string, Record<string, string>>)["health-monitor"]!)[0]!;
    // A connection per call: a poll a second apart would otherwise race the gateway closing an idle one.
    const api = async <T>(p: string): Promise<T> => {
      const dispatcher = new Agent({ connect: { ca: outputs.gatewayCertificate as string } });
      try {
        const res = await undiciFetch(`https://127.0.0.1:8083${p}`, { headers: { authorization: `Bearer ${key}` }, dispatcher });
        expect(res.status, p).toBe(200);
        return (await res.json()) as T;
      } finally {
        await dispatcher.close();
      }
    };
    interface Alert { type: string; service: string; resolved: boolean; message: string }
    const alerts = (service: string) => api<Alert[]>(`/api/alerts?service=${service}`);
    // Up to 3 failed checks 10 s apart and a probe timeout, plus the gateway's and Docker's own delays; a
    // failed call (the gateway's 503 while it holds the monitor out after slow answers) is a "not yet".
    const until = async (what: string, ok: () => Promise<boolean>) =>
      (await pollUntil(what, async () => (await ok()) || undefined, { timeoutMs: 120_000, intervalMs: 1000 })).seconds;
    type Overall = { services: Record<string, { status: string }> };
    const servers = ["gmail", "graphiti", "rag", "neo4j"];
    await until("every server healthy on the monitor", async () => {
      const o = await api<Overall>("/api/health/overall");
      return servers.every((s) => o.services[s]?.status === "healthy");
    });

    // A stopped server: service_down raised, then resolved once it is back.
    const rag = services().find((c) => label(c, "service") === "rag")!;
    await engine.docker(["stop", rag.Id]);
    try {
      const raised = await until("service_down for rag", async () => (await alerts("rag")).some((a) => a.type === "service_down" && !a.resolved));
      recordFigure("dev: monitor alerts a stopped server after", raised, "s");
    } finally {
      await engine.docker(["start", rag.Id]);
    }
    await until("service_down for rag resolved", async () => (await alerts("rag")).every((a) => a.type !== "service_down" || a.resolved));

    // A stale backup: a status file whose last verified backup is older than dev's RPO (1440 min), written
    // onto the backups volume the monitor reads; then a fresh one.
    const monitor = services().find((c) => label(c, "service") === "health-monitor")!;
    const volume = monitor.Mounts.find((m) => m.Destination === "/backups")!.Name!;
    const writeStatus = (at: Date) =>
      engine.docker(["run", "--rm", "-i", "--user", "0:0", "--network", "none", "-v", `${volume}:/backups`, "--entrypoint", "bash", "neo4j:5.26", "-c", `cat > /backups/status.json`], {
        input: JSON.stringify({ lastVerifiedBackup: at.toISOString(), snapshotId: "e2e", lastRun: { time: at.toISOString(), ok: true } }),
      });
    try {
      await writeStatus(new Date(Date.now() - 2 * 86_400_000));
      await until("backup_stale raised", async () => (await api<Alert[]>("/api/alerts")).some((a) => a.type === "backup_stale" && !a.resolved));
      await writeStatus(new Date());
      await until("backup_stale resolved", async () => (await api<Alert[]>("/api/alerts")).every((a) => a.type !== "backup_stale" || a.resolved));
    } finally {
      await engine.docker(["run", "--rm", "--user", "0:0", "--network", "none", "-v", `${volume}:/backups`, "--entrypoint", "rm", "neo4j:5.26", "-f", "/backups/status.json"]);
    }
  });

  it("keeps the backend network without a route out: a probe there reaches Neo4j and nothing else", async (ctx) => {
    const { engine } = ready(ctx);
    const backend = `mcp-${NAME}-backend`;
    const frontend = `mcp-${NAME}-frontend`;
    const gateway = services().find((c) => label(c, "component") === "gateway")!;
    const gatewayIp = gateway.NetworkSettings.Networks[frontend]!.IPAddress;
    const frontendHost = JSON.parse((await engine.docker(["network", "inspect", frontend, "--format", "{{json .IPAM.Config}}"])).stdout)[0].Gateway as string;
    // A listener on every host address, which the probe must not reach.
    const listener = net.createServer((s) => s.end("reached\n"));
    await new Promise<void>((r) => listener.listen(0, "0.0.0.0", r));
    const hostPort = (listener.address() as net.AddressInfo).port;
    try {
      const probe = (target: string) =>
        engine.docker(
          ["run", "--rm", "--network", backend, "--entrypoint", "bash", "neo4j:5.26", "-c", `timeout 3 bash -c 'exec 3<>/dev/tcp/${target.replace(":", "/")}' && echo open || echo closed`],
          { timeoutMs: 60_000 },
        );
      expect((await probe("neo4j:7687")).stdout.trim()).toBe("open");
      expect((await probe(`${gatewayIp}:8080`)).stdout.trim()).toBe("closed");
      expect((await probe(`${frontendHost}:${hostPort}`)).stdout.trim()).toBe("closed");
      expect((await probe(`203.0.113.80:80`)).stdout.trim()).toBe("closed");
    } finally {
      listener.close();
    }
  });

  it("changes nothing on a second preview (--expect-no-changes) or a second up", async (ctx) => {
    ready(ctx);
    const preview = await stack.op({ op: "preview", policyConfig: "dev", expectNoChanges: true });
    expect(preview.ok, describeResult(preview)).toBe(true);
    recordFigure("dev: no-op pulumi preview with the policy pack", preview.seconds, "s");
    const up = await stack.op({ op: "up", policyConfig: "dev", expectNoChanges: true });
    expect(up.ok, describeResult(up)).toBe(true);
    expect(up.steps).toEqual([]);
  });

  itChangesNothingAfterARefresh(() => stack, () => "dev");

  it("removes everything with `pulumi destroy`: no container, volume or network of the stack is left", async (ctx) => {
    const { engine } = ready(ctx);
    const r = await stack.op({ op: "destroy" });
    expect(r.ok, describeResult(r)).toBe(true);
    expect(await inspectAll(engine, [`label=environment=dev`])).toEqual([]);
    const volumes = (await engine.docker(["volume", "ls", "-q"])).stdout.split("\n").filter(Boolean);
    expect(volumes).toEqual([]);
    const networks = (await engine.docker(["network", "ls", "--format", "{{.Name}}", "--filter", `label=dev.mcp-platform.stack=${NAME}`])).stdout.trim();
    expect(networks).toBe("");
  });
});
