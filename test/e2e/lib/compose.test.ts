// The Compose file of a stack's containers (lib/compose.ts), built from what the program's own model gives
// each container (containerArgs, initArgs): every setting carried over, one-shot inits waited for as
// completed, dependencies kept, secrets of an export revealed, a $ kept literal, an unknown setting refused.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { containerArgs } from "../../../components/container/defaults";
import { initArgs } from "../../../components/container/init";
import { healthcheck } from "../../../components/container/spec";
import { networkRef, platformDefaults, workloadSpec } from "../../harness/fixtures";
import { composeProject, composeYaml, modelFromState, revealed, type ComposeModel, type ContainerInputs, type StateResource } from "./compose";

const platform = platformDefaults({ environment: "prod" });
const spec = workloadSpec({
  service: "gmail",
  image: "sha256:1111",
  env: { A: "1", PRICE: "$5" },
  volumes: [{ volume: "gmail-data", volumeName: "mcp-prod-gmail-data", path: "/data", readOnly: false }],
  files: [{ path: "/etc/gmail/conf.json", content: "{}", secret: false }],
  networks: [{ network: "frontend", ref: networkRef("mcp-prod-frontend"), aliases: ["gmail"], replicaAliases: true }],
  ports: [{ internal: 8080, published: 18080, address: "127.0.0.1" }],
  healthcheck: healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]),
});
// Plain values in, so the program's Inputs are already what the provider receives.
const replica = (i: number) => containerArgs(spec, platform, i, { filesVolumes: ["gmail-files-0-abc"] }) as ContainerInputs;
const init = initArgs(spec, platform, ["gmail-files-0-abc"], "#!/bin/sh\necho $INIT_OWNER\n") as ContainerInputs;

const model: ComposeModel = {
  containers: [
    { service: "gmail-volume-init", args: init, dependsOn: [] },
    { service: "gmail-1", args: replica(1), dependsOn: ["gmail-volume-init"] },
    { service: "gmail-2", args: replica(2), dependsOn: ["gmail-volume-init", "gmail-1"] },
  ],
  networks: { "mcp-prod-frontend": { name: "mcp-prod-frontend", driver: "bridge", options: { "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1" } } },
  volumes: { "mcp-prod-gmail-data": { name: "mcp-prod-gmail-data", labels: [{ label: "dev.mcp-platform.backup", value: "true" }] }, "gmail-files-0-abc": {} },
  images: { "sha256:1111": "mcp-platform/gmail:prod" },
};

describe("composeProject", () => {
  const file = composeProject("drills", model);
  const g1 = file.services["gmail-1"]!;

  it("carries every setting of a replica over: image by its reference, limits, logging, health, restart, hardening", () => {
    expect(g1).toMatchObject({
      image: "mcp-platform/gmail:prod",
      user: "1000:1000",
      mem_limit: "256m",
      mem_reservation: "128m",
      memswap_limit: "256m",
      cpus: 0.5,
      logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3", labels: "service,component,environment" } },
      healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"], interval: "15s", timeout: "5s", retries: 3, start_period: "30s", start_interval: "2s" },
      restart: "unless-stopped",
      init: true,
      security_opt: ["no-new-privileges:true"],
      cap_drop: ["ALL"],
      read_only: true,
      tmpfs: ["/tmp:rw,noexec,nosuid,nodev,size=64m"],
      stop_grace_period: "30s",
      labels: { service: "gmail", component: "mcp-server", environment: "prod", "dev.mcp-platform.replica": "1" },
    });
    expect(g1.networks).toEqual({ "mcp-prod-frontend": { aliases: ["gmail", "gmail-1"] } });
    expect(g1.ports).toEqual([{ target: 8080, published: "18080", host_ip: "127.0.0.1", protocol: "tcp" }]);
    expect(g1.volumes).toEqual([
      { type: "volume", source: "mcp-prod-gmail-data", target: "/data" },
      { type: "volume", source: "gmail-files-0-abc", target: "/etc/gmail", read_only: true },
    ]);
  });

  it("writes a literal $ as $$, so Compose does not interpolate it", () => {
    expect(g1.environment).toEqual(["A=1", "PRICE=$$5"]);
    expect(file.configs!["gmail-volume-init-0"]!.content).toBe("#!/bin/sh\necho $$INIT_OWNER\n");
  });

  it("copies an init's uploads in as configs with their modes, and waits for the init to complete before its service", () => {
    const i = file.services["gmail-volume-init"]!;
    expect(i).toMatchObject({ restart: "no", network_mode: "none", user: "0:0", cap_add: ["CAP_CHOWN"] });
    expect(i.configs).toEqual([
      { source: "gmail-volume-init-0", target: "/mcp-platform/init.sh", mode: 0o555 },
      { source: "gmail-volume-init-1", target: "/mcp-platform/manifest", mode: 0o444 },
      { source: "gmail-volume-init-2", target: "/mcp-platform/files/0/conf.json", mode: 0o444 },
    ]);
    expect(file.services["gmail-2"]!.depends_on).toEqual({ "gmail-volume-init": { condition: "service_completed_successfully" }, "gmail-1": { condition: "service_healthy" } });
  });

  it("declares the stack's networks and volumes under their Docker names", () => {
    expect(file.networks["mcp-prod-frontend"]).toEqual({ name: "mcp-prod-frontend", driver: "bridge", driver_opts: { "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1" } });
    expect(file.volumes["mcp-prod-gmail-data"]).toEqual({ name: "mcp-prod-gmail-data", labels: { "dev.mcp-platform.backup": "true" } });
    expect(parse(composeYaml(file))).toEqual(file);
  });

  it("refuses a setting it does not know, a network or volume the stack lacks, and a dependency that is no container", () => {
    const withArgs = (args: Partial<ContainerInputs>, dependsOn: string[] = []) => ({ ...model, containers: [{ service: "x", args: { ...replica(1), ...args }, dependsOn }] });
    expect(() => composeProject("p", withArgs({ privileged: true }))).toThrow(/x: container settings with no Compose counterpart here: privileged/);
    expect(() => composeProject("p", withArgs({ networksAdvanced: [{ name: "elsewhere" }] }))).toThrow(/joins network elsewhere/);
    expect(() => composeProject("p", withArgs({}, ["ghost"]))).toThrow(/depends on ghost/);
    // A secret left wrapped is not a list.
    expect(() => composeProject("p", withArgs({ envs: { plaintext: "[]" } as unknown as string[] }))).toThrow(/x: envs should be a list/);
    // A default the provider fills in that sets nothing passes.
    expect(() => composeProject("p", withArgs({ privileged: false, dns: [] }))).not.toThrow();
  });
});

describe("modelFromState", () => {
  const secret = (v: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
  const urn = (type: string, name: string) => `urn:pulumi:prod::mcp-platform::mcp-platform:platform:Platform$${type}::${name}`;
  const C = "docker:index/container:Container";
  const resources: StateResource[] = [
    { urn: urn("docker:index/remoteImage:RemoteImage", "neo4j-image"), type: "docker:index/remoteImage:RemoteImage", custom: true, inputs: { name: "neo4j:5.26" }, outputs: { imageId: "sha256:2222" } },
    { urn: urn("docker:index/network:Network", "networks-backend"), type: "docker:index/network:Network", custom: true, inputs: { name: "mcp-prod-backend", internal: true }, outputs: { name: "mcp-prod-backend" } },
    { urn: urn("docker:index/volume:Volume", "files"), type: "docker:index/volume:Volume", custom: true, inputs: {}, outputs: { name: "files-0-xyz" } },
    { urn: urn(C, "neo4j"), type: C, custom: true, inputs: { image: "sha256:2222", envs: [secret("NEO4J_AUTH=neo4j/pw")] }, dependencies: [urn("docker:index/remoteImage:RemoteImage", "neo4j-image")] },
    { urn: urn("command:local:Command", "gate"), type: "command:local:Command", custom: true, dependencies: [urn(C, "neo4j")] },
    { urn: urn(C, "graphiti-1"), type: C, custom: true, inputs: { image: "sha256:3333" }, dependencies: [urn("command:local:Command", "gate"), urn("docker:index/volume:Volume", "files")] },
  ];
  const m = modelFromState(resources);

  it("reads containers with their secrets revealed, networks and volumes by Docker name, images by id", () => {
    expect(m.containers.map((c) => c.service)).toEqual(["neo4j", "graphiti-1"]);
    expect(m.containers[0]!.args.envs).toEqual(["NEO4J_AUTH=neo4j/pw"]);
    expect(Object.keys(m.networks)).toEqual(["mcp-prod-backend"]);
    expect(Object.keys(m.volumes)).toEqual(["files-0-xyz"]);
    expect(m.images).toEqual({ "sha256:2222": "neo4j:5.26" });
  });

  it("follows a dependency through other resources to the container behind it", () => {
    expect(m.containers[1]!.dependsOn).toEqual(["neo4j"]);
    expect(m.containers[0]!.dependsOn).toEqual([]);
  });

  it("refuses an export whose secrets are not shown", () => {
    expect(() => revealed({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" })).toThrow(/--show-secrets/);
  });
});
