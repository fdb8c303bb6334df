// The same resources declared directly (lib/from-state.ts), from an export shaped as the real engine
// writes one: the stack left out, components, an explicit provider without its engine-added version,
// the engine's default providers left to the engine (their version kept), secrets and assets marked,
// a read resource by its ID, and an export it cannot replay refused with the reason.
import { describe, expect, it } from "vitest";
import { decoded, FileAsset, programFromState, Secret, TextAsset, type ExportedResource } from "./from-state";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (v: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
const P = "urn:pulumi:s::mcp-platform::";
const STACK = `${P}pulumi:pulumi:Stack::mcp-platform-s`;
const PLATFORM = `${P}mcp-platform:platform:Platform::mcp-platform`;
const NEO4J = `${P}mcp-platform:platform:Platform$mcp-platform:neo4j:Neo4j::neo4j`;
const DOCKER = `${P}mcp-platform:platform:Platform$pulumi:providers:docker::mcp-platform-docker`;
const RANDOM = `${P}pulumi:providers:random::default_4_21_2`;

const state: ExportedResource[] = [
  { urn: STACK, type: "pulumi:pulumi:Stack", custom: false, outputs: { environment: "prod", apiKeys: secret({ gmail: ["k1"] }) } },
  { urn: PLATFORM, type: "mcp-platform:platform:Platform", custom: false, parent: STACK, inputs: {} },
  { urn: DOCKER, type: "pulumi:providers:docker", custom: true, id: "p1", parent: PLATFORM, inputs: { __internal: {}, host: "unix:///run/docker.sock", version: "5.2.0" } },
  { urn: NEO4J, type: "mcp-platform:neo4j:Neo4j", custom: false, parent: PLATFORM, inputs: {} },
  { urn: RANDOM, type: "pulumi:providers:random", custom: true, id: "r1", inputs: { __internal: {}, version: "4.21.2" } },
  {
    urn: `${NEO4J.replace("::neo4j", "")}$random:index/randomPassword:RandomPassword::neo4j-password`,
    type: "random:index/randomPassword:RandomPassword",
    custom: true,
    id: "x",
    parent: NEO4J,
    protect: true,
    provider: `${RANDOM}::r1`,
    inputs: { length: 32, special: false },
  },
  {
    urn: `${NEO4J.replace("::neo4j", "")}$docker:index/container:Container::neo4j`,
    type: "docker:index/container:Container",
    custom: true,
    id: "c1",
    parent: NEO4J,
    provider: `${DOCKER}::p1`,
    inputs: { envs: secret(["NEO4J_AUTH=neo4j/pw"]), uploads: [{ file: "/etc/x.conf", content: "a=1" }], __defaults: [] },
  },
  { urn: `${P}docker:index/network:Network::outside`, type: "docker:index/network:Network", custom: true, id: "n1", external: true, provider: `${DOCKER}::p1`, inputs: {} },
];

describe("programFromState", () => {
  const { declarations, outputs } = programFromState(state);
  // The Neo4j component and its container share a name, as in the platform: the kind tells them apart.
  const by = (name: string, kind?: string) => declarations.find((d) => d.name === name && (!kind || d.kind === kind))!;

  it("declares every resource but the stack and the engine's default providers, in the export's order", () => {
    expect(declarations.map((d) => `${d.kind} ${d.name}`)).toEqual([
      "component mcp-platform",
      "provider mcp-platform-docker",
      "component neo4j",
      "custom neo4j-password",
      "custom neo4j",
      "custom outside",
    ]);
    expect(declarations.map((d) => d.urn)).not.toContain(STACK);
  });

  it("keeps each one's type, parent and protection; the stack's children have no parent", () => {
    expect(by("mcp-platform")).toMatchObject({ type: "mcp-platform:platform:Platform", parent: undefined, protect: false });
    expect(by("neo4j-password")).toMatchObject({ type: "random:index/randomPassword:RandomPassword", parent: NEO4J, protect: true });
  });

  it("declares an explicit provider with its package and version as options, not as inputs", () => {
    expect(by("mcp-platform-docker")).toMatchObject({ kind: "provider", pkg: "docker", version: "5.2.0", inputs: { __internal: {}, host: "unix:///run/docker.sock" } });
    expect(by("mcp-platform-docker").inputs).not.toHaveProperty("version");
  });

  it("points a resource at its explicit provider by URN, and at a default provider by its version", () => {
    expect(by("neo4j", "custom").provider).toEqual({ urn: DOCKER });
    expect(by("neo4j-password").provider).toEqual({ defaultVersion: "4.21.2" });
  });

  it("keeps inputs as stored, with secrets marked, and reads a read resource by its ID", () => {
    expect(by("neo4j", "custom").inputs).toEqual({ envs: new Secret(["NEO4J_AUTH=neo4j/pw"]), uploads: [{ file: "/etc/x.conf", content: "a=1" }], __defaults: [] });
    expect(by("outside").readId).toBe("n1");
    expect(by("neo4j", "custom").readId).toBeUndefined();
  });

  it("returns the stack's outputs, secrets marked", () => {
    expect(outputs).toEqual({ environment: "prod", apiKeys: new Secret({ gmail: ["k1"] }) });
  });

  it("refuses an export it cannot replay, saying why", () => {
    expect(() => programFromState(state.slice(1))).toThrow(/no pulumi:pulumi:Stack/);
    // A child before its parent, a resource before its provider.
    expect(() => programFromState([state[0]!, state[3]!, state[1]!])).toThrow(/parent .* is not declared before it/);
    expect(() => programFromState([state[0]!, state[1]!, state[3]!, state[6]!, state[2]!])).toThrow(/provider .* is not declared before it/);
    const unversioned = { ...state[4]!, inputs: { __internal: {} } };
    expect(() => programFromState([state[0]!, state[1]!, state[3]!, unversioned, state[5]!])).toThrow(/default provider .* has no version/);
  });
});

describe("decoded", () => {
  it("marks secrets, nested ones too, and text and file assets", () => {
    expect(decoded({ a: [secret({ b: secret("c") })] }, "x")).toEqual({ a: [new Secret({ b: new Secret("c") })] });
    expect(decoded({ [SIG]: "c44067f5952c0a294b673a41bacd8c17", hash: "h", text: "#!/bin/sh\n" }, "x")).toEqual(new TextAsset("#!/bin/sh\n"));
    expect(decoded({ [SIG]: "c44067f5952c0a294b673a41bacd8c17", hash: "h", path: "/a" }, "x")).toEqual(new FileAsset("/a"));
  });

  it("refuses a secret it cannot read and a kind of value it does not replay, naming where", () => {
    expect(() => decoded({ k: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } }, "r")).toThrow(/^r\.k: a secret is not shown: export the state with --show-secrets/);
    expect(() => decoded([{ [SIG]: "0def7320c3a5731c473e5ecbe6d01bc7", assets: {} }], "r")).toThrow(/^r\[0\]: a value of kind 0def7320c3a5731c473e5ecbe6d01bc7/);
  });
});
