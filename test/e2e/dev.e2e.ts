// The dev stack for real: Pulumi.dev.yaml on the suite's Docker engine, built from an ai-PA checkout of
// stand-in servers, every other image pulled through the registry on loopback. Preview with the policy
// pack, up, what Docker then runs, the verification, the backend's isolation, a second preview and up
// that change nothing, and a destroy that leaves nothing behind.
import * as net from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness/stack-files";
import { inspectAll, label, ready, recordFigure, tryReady, type Inspected } from "./lib/context";
import { run } from "./lib/run";
import { describeResult, E2EStack } from "./lib/stack";

const NAME = "e2e-dev";
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
    await stack.init({ base: "dev", config: { dockerHost: r.engineHost, sourceRoot: r.images.sourceRoot }, secrets: SECRETS });
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
