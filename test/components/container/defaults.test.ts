import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { containerArgs, envEntries, logOptions, uploadDirectories } from "../../../components/container/defaults";
import { healthcheck, type WorkloadSpec } from "../../../components/container/spec";
import { replicaName, volumeInitArgs } from "../../../components/container/workload";
import { platformDefaults } from "../../harness/fixtures";

const platform = platformDefaults();

function spec(over: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    service: "svc",
    component: "mcp-server",
    image: "sha256:abc",
    user: "1000:1000",
    replicas: 2,
    memoryMb: 256,
    memoryReservationMb: 128,
    cpus: 0.5,
    env: { A: "1" },
    secretEnv: {},
    files: [],
    volumes: [],
    readOnlyRootFilesystem: true,
    tmpfs: ["/tmp"],
    capAdd: [],
    networks: [{ network: "frontend", networkName: "front", aliases: ["svc"] }],
    ports: [],
    healthcheck: healthcheck(["CMD", "true"]),
    stateful: false,
    ...over,
  };
}

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

  it("restarts on failure at most 5 times, and waits for health on creation", () => {
    expect([args.restart, args.maxRetryCount, args.wait]).toEqual(["on-failure", 5, true]);
    const unlessStopped = containerArgs(spec(), { ...platform, restart: { policy: "unless-stopped", maxRetries: 5 } });
    expect([unlessStopped.restart, unlessStopped.maxRetryCount]).toEqual(["unless-stopped", undefined]);
  });

  it("hardens: no new privileges, every capability dropped, read-only root with a noexec tmpfs, init", () => {
    expect(args.securityOpts).toEqual(["no-new-privileges:true"]);
    expect(args.capabilities).toEqual({ drops: ["ALL"], adds: [] });
    expect(args.readOnly).toBe(true);
    expect(args.tmpfs).toEqual({ "/tmp": "rw,noexec,nosuid,nodev,size=64m" });
    expect(args.init).toBe(true);
    expect(args.user).toBe("1000:1000");
  });

  it("adds only the capabilities a spec justifies", () => {
    const a = containerArgs(spec({ capAdd: [{ capability: "NET_BIND_SERVICE", reason: "binds :80" }] }), platform);
    expect(a.capabilities).toEqual({ drops: ["ALL"], adds: ["NET_BIND_SERVICE"] });
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
    const s = spec({ networks: [{ network: "frontend", networkName: "front", aliases: ["svc"], replicaAliases: true }] });
    expect(containerArgs(s, platform, 2).networksAdvanced).toEqual([{ name: "front", aliases: ["svc", "svc-2"] }]);
    expect(containerArgs(s, platform).networksAdvanced).toEqual([{ name: "front", aliases: ["svc"] }]);
  });

  it("binds published ports to the configured interface", () => {
    const a = containerArgs(spec({ ports: [{ internal: 8083, published: 8083, address: "127.0.0.1" }] }), platform);
    expect(a.ports).toEqual([{ internal: 8083, external: 8083, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("puts uploaded files on a volume of their own when the root filesystem is read-only", () => {
    const s = spec({ files: [{ path: "/app/config/keys.json", content: "{}", secret: true }] });
    expect(uploadDirectories(s)).toEqual(["/app/config"]);
    const a = containerArgs(s, platform);
    expect(a.mounts).toEqual([{ type: "volume", target: "/app/config" }]);
    expect(a.uploads).toEqual([expect.objectContaining({ file: "/app/config/keys.json", owner: "1000", group: "1000", permissions: "0400" })]);
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

  it("hands a writable volume to a non-root service's user with CHOWN only, and no network", () => {
    const init = volumeInitArgs(spec({ volumes: [{ volume: "v", volumeName: "mcp-dev-v", path: "/app/data", readOnly: false }] }), platform)!;
    expect(init.entrypoints).toEqual(["chown", "1000:1000", "/app/data"]);
    expect(init.capabilities).toEqual({ drops: ["ALL"], adds: ["CHOWN"] });
    expect([init.networkMode, init.readOnly, init.attach, init.mustRun]).toEqual(["none", true, true, false]);
  });

  it("needs no volume init for root services or services without writable volumes", () => {
    expect(volumeInitArgs(spec(), platform)).toBeUndefined();
    expect(volumeInitArgs(spec({ user: undefined, volumes: [{ volume: "v", volumeName: "x", path: "/d", readOnly: false }] }), platform)).toBeUndefined();
  });
});
