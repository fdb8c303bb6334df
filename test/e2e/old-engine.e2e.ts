// The platform on the oldest engine it supports: Debian 12's docker.io, Docker 20.10 (API 1.41), which
// refuses a healthcheck start interval (API 1.44). The program asks the engine its version and leaves the
// setting out there, saying so; the rest deploys as on a current engine. A small stack (Neo4j alone)
// keeps this quick; the dev and prod-like files cover the whole platform on Docker 26.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ready, tryReady } from "./lib/context";
import { startEngine, stopEngine, type Engine } from "./lib/engine";
import { registryRef } from "./lib/images";
import { describeResult, E2EStack } from "./lib/stack";
import { run } from "./lib/run";
import { RUN } from "./lib/toolchain";

const OLD = `old-${RUN}`.slice(0, 20);

describe("the platform on Docker 20.10 (API 1.41)", () => {
  let stack: E2EStack;
  let old: Engine | undefined;

  beforeAll(async () => {
    const r = tryReady();
    if (!r?.toolchain.oldEngineRoot) return;
    // Its own network namespace: two engines in one would share iptables chains and docker0.
    old = await startEngine(OLD, { netns: OLD, root: r.toolchain.oldEngineRoot });
    // No registry is reachable from there: hand it the image the suite built.
    const ref = registryRef(r.registry, "neo4j:5.26");
    const save = await r.engine.docker(["save", ref, "-o", `/tmp/${OLD}-neo4j.tar`], { timeoutMs: 5 * 60_000 });
    expect(save.status).toBe(0);
    await old.docker(["load", "-i", `/tmp/${OLD}-neo4j.tar`], { timeoutMs: 5 * 60_000 });
    await old.docker(["tag", ref, "neo4j:5.26"]);
    stack = new E2EStack("e2e-old-engine", r.toolchain);
    await stack.init({
      base: "dev",
      config: {
        dockerHost: old.host,
        sourceRoot: r.images.sourceRoot,
        services: { gmail: { enabled: false }, graphiti: { enabled: false }, rag: { enabled: false } },
        healthMonitor: { enabled: false },
        backup: { enabled: false },
      },
      secrets: {},
    });
  });

  afterAll(async () => {
    if (stack && old) await stack.op({ op: "destroy" }).catch(() => undefined);
    if (old) await stopEngine(OLD);
    // engine.sh made the namespace for this engine: leave none behind.
    await run("ip", ["netns", "delete", OLD], { allowFail: true });
  });

  it("is Docker 20.10, API 1.41", async (ctx) => {
    const r = ready(ctx);
    if (!r.toolchain.oldEngineRoot) throw new Error("the toolchain has no Docker 20.10 tree (run .ci/toolchain/install.sh)");
    expect((await old!.docker(["version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}"])).stdout.trim()).toMatch(/^20\.10\.\d+.* 1\.41$/);
  });

  it("deploys Neo4j healthy without a start interval, and says why", async (ctx) => {
    ready(ctx);
    // No policy pack: this stack leaves out the backups and MCP servers the pack requires.
    const r = await stack.op({ op: "up" });
    expect(r.ok, describeResult(r)).toBe(true);
    expect(r.diagnostics.join("\n")).toMatch(/warning: .* speaks API 1\.41 \(before Docker Engine 25\): healthchecks run without a start interval/);
    const ids = (await old!.docker(["ps", "-q", "--filter", "label=component=neo4j"])).stdout.split("\n").filter(Boolean);
    expect(ids).toHaveLength(1);
    const [c] = JSON.parse((await old!.docker(["inspect", ids[0]!])).stdout) as { State: { Health: { Status: string } }; Config: { Healthcheck: Record<string, unknown> } }[];
    expect(c!.State.Health.Status).toBe("healthy");
    expect(c!.Config.Healthcheck.StartInterval ?? 0).toBe(0);
    expect(c!.Config.Healthcheck.StartPeriod).toBe(60e9);
  });

  it("changes nothing on a second preview", async (ctx) => {
    ready(ctx);
    const r = await stack.op({ op: "preview", expectNoChanges: true });
    expect(r.ok, describeResult(r)).toBe(true);
  });
});
