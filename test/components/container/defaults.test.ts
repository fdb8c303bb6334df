import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { containerArgs, dockerCapability, dockerCpus, dockerHealthcheck, envEntries, goDuration, logOptions } from "../../../components/container/defaults";
import { healthcheck, healthWaitSeconds } from "../../../components/container/spec";
import { replicaName } from "../../../components/container/workload";
import { networkRef, platformDefaults, workloadSpec } from "../../harness/fixtures";

const platform = platformDefaults();

const spec = workloadSpec;

describe("shared container defaults", () => {
  const args = containerArgs(spec(), platform, 1);

  it("limits memory (no swap on top), reserves some, and caps CPU", () => {
    expect([args.memory, args.memorySwap, args.memoryReservation, args.cpus]).toEqual([256, 256, 128, "0.5"]);
  });

  it("rotates json-file logs and labels each line with service, component and environment", () => {
    expect(args.logDriver).toBe("json-file");
    expect(args.logOpts).toEqual({ "max-size": "10m", "max-file": "3", labels: "service,component,environment" });
    expect(logOptions({ maxSize: "50m", maxFile: 5 })["max-file"]).toBe("5");
  });

  it("restarts unless stopped (so a clean daemon restart brings it back), and waits for health on creation", () => {
    expect([args.restart, args.maxRetryCount, args.wait]).toEqual(["unless-stopped", undefined, true]);
    const onFailure = containerArgs(spec(), { ...platform, restart: { policy: "on-failure", maxRetries: 5 } });
    expect([onFailure.restart, onFailure.maxRetryCount]).toEqual(["on-failure", 5]);
  });

  it("writes CPUs as the provider reads them back from Docker, so a second up sees no change", () => {
    expect([1, 2, 0.5, 0.25, 1.5, 0.1].map(dockerCpus)).toEqual(["1.0", "2.0", "0.5", "0.25", "1.5", "0.1"]);
    expect(() => dockerCpus(0)).toThrow(RangeError);
  });

  it("writes healthcheck durations as Docker reads them back, so a second up sees no change", () => {
    expect([0, 2, 5, 59, 60, 90, 300, 3600, 3725].map(goDuration)).toEqual(["0s", "2s", "5s", "59s", "1m0s", "1m30s", "5m0s", "1h0m0s", "1h2m5s"]);
    expect(() => goDuration(1.5)).toThrow(RangeError);
    const h = dockerHealthcheck(healthcheck(["CMD", "true"], { intervalSeconds: 10, startPeriodSeconds: 60 }));
    expect(h).toEqual({ tests: ["CMD", "true"], interval: "10s", timeout: "5s", retries: 3, startPeriod: "1m0s", startInterval: "2s" });
  });

  it("waits for health only as long as Docker takes to call a container unhealthy", () => {
    // An MCP server's default healthcheck: 30 s start period, 3 probes of up to 15 + 5 s.
    expect(containerArgs(spec(), platform).waitTimeout).toBe(105);
    // Neo4j's: a 60 s start period and 10 probes of up to 10 + 5 s.
    expect(healthWaitSeconds(healthcheck(["CMD", "true"], { intervalSeconds: 10, retries: 10, startPeriodSeconds: 60 }))).toBe(225);
  });

  it("leaves the healthcheck start interval out on engines before API 1.44", () => {
    const h = dockerHealthcheck(healthcheck(["CMD", "true"]), { apiVersion: "1.41", healthStartInterval: false });
    expect(h.startInterval).toBeUndefined();
    const old = containerArgs(spec(), { ...platform, engine: { apiVersion: "1.41", healthStartInterval: false } });
    expect((old.healthcheck as { startInterval?: string }).startInterval).toBeUndefined();
  });

  it("hardens: no new privileges, every capability dropped, read-only root with a noexec tmpfs, init", () => {
    expect(args.securityOpts).toEqual(["no-new-privileges:true"]);
    expect(args.capabilities).toEqual({ drops: ["ALL"], adds: [] });
    expect(args.readOnly).toBe(true);
    expect(args.tmpfs).toEqual({ "/tmp": "rw,noexec,nosuid,nodev,size=64m" });
    expect(args.init).toBe(true);
    expect(args.user).toBe("1000:1000");
  });

  it("adds only the capabilities a spec justifies, named as Docker stores them (what a refresh reads back)", () => {
    const a = containerArgs(spec({ capAdd: [{ capability: "NET_BIND_SERVICE", reason: "binds :80" }] }), platform);
    expect(a.capabilities).toEqual({ drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE"] });
  });

  it("names a capability the way Docker 20.10 and later store it", () => {
    expect(["CHOWN", "chown", "CAP_CHOWN", "ALL"].map(dockerCapability)).toEqual(["CAP_CHOWN", "CAP_CHOWN", "CAP_CHOWN", "ALL"]);
  });

  it("labels each replica and never names the container (a replacement must not collide)", () => {
    expect(args.name).toBeUndefined();
    expect(args.labels).toContainEqual({ label: "dev.mcp-platform.replica", value: "1" });
    expect(args.labels).toContainEqual({ label: "component", value: "mcp-server" });
  });

  it("joins only the platform's networks, by alias", () => {
    expect(args.networksAdvanced).toEqual([{ name: "front", aliases: ["svc"] }]);
    expect(args.networkMode).toBeUndefined();
  });

  it("gives each replica its own alias next to the shared one where the spec asks for it", () => {
    const s = spec({ networks: [{ network: "frontend", ref: networkRef("front"), aliases: ["svc"], replicaAliases: true }] });
    expect(containerArgs(s, platform, 2).networksAdvanced).toEqual([{ name: "front", aliases: ["svc", "svc-2"] }]);
    expect(containerArgs(s, platform).networksAdvanced).toEqual([{ name: "front", aliases: ["svc"] }]);
  });

  it("binds published ports to the configured interface", () => {
    const a = containerArgs(spec({ ports: [{ internal: 8083, published: 8083, address: "127.0.0.1" }] }), platform);
    expect(a.ports).toEqual([{ internal: 8083, external: 8083, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("mounts each directory of files from the init's volume, read-only, and uploads nothing itself", () => {
    const s = spec({ files: [{ path: "/app/config/keys.json", content: "{}", secret: true }] });
    const a = containerArgs(s, platform, 1, { filesVolumes: ["files-0"] });
    expect(a.mounts).toEqual([{ type: "volume", source: "files-0", target: "/app/config", readOnly: true }]);
    expect(a.uploads).toBeUndefined();
    expect(() => containerArgs(s, platform)).toThrow(/files volumes/);
  });

  it("keeps secret env entries secret and sorts all entries by name", async () => {
    const entries = envEntries({ B: "2", A: "1" }, { TOKEN: pulumi.secret("t") });
    expect(entries).toHaveLength(3);
    expect(entries.slice(0, 2)).toEqual(["A=1", "B=2"]);
    expect(pulumi.Output.isInstance(entries[2])).toBe(true);
    expect(await pulumi.isSecret(entries[2] as pulumi.Output<string>)).toBe(true);
  });
});

describe("workloads", () => {
  it("names replicas 1..n and keeps a stateful service's plain name", () => {
    expect(replicaName("gmail", { stateful: false }, 2)).toBe("gmail-2");
    expect(replicaName("neo4j", { stateful: true }, 1)).toBe("neo4j");
  });

});
