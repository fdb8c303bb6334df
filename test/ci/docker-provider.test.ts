// The docker provider CI builds (.ci/toolchain/docker-provider: the Terraform provider bridged with the
// official SDK's names) must mean what @pulumi/docker says: every resource the SDK declares, with exactly
// the inputs its Args interface declares, and the same nested input types. A provider or SDK upgrade that
// drifts shows here at once.
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { skipOrFail } from "../harness/tools";
import { ROOT } from "../harness/stack-files";

const CACHE = process.env.MCP_CI_CACHE ?? "/var/cache/mcp-platform-ci";
const SDK = path.join(ROOT, "node_modules/@pulumi/docker");

interface Schema {
  resources: Record<string, { inputProperties?: Record<string, { $ref?: string; items?: { $ref?: string }; additionalProperties?: { $ref?: string } }> }>;
  types: Record<string, { properties?: Record<string, unknown> }>;
}

function builtSchema(): Schema | string {
  const env = path.join(CACHE, "toolchain.env");
  if (!fs.existsSync(env)) return `no CI toolchain at ${CACHE} (run .ci/toolchain/install.sh)`;
  const dir = /^MCP_DOCKER_PROVIDER_DIR=(.*)$/m.exec(fs.readFileSync(env, "utf8"))?.[1];
  const file = dir && path.join(dir, "schema.json");
  if (!file || !fs.existsSync(file)) return `the toolchain has no docker provider schema (${file ?? "not recorded"})`;
  return JSON.parse(fs.readFileSync(file, "utf8")) as Schema;
}

// The members of an exported interface in one of the SDK's .d.ts files.
function interfaceMembers(file: string, name: string): string[] | undefined {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  let found: string[] | undefined;
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name)
      found = node.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text);
  });
  return found;
}

// Every resource class of the SDK, by its type token.
function sdkResources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(SDK).filter((f) => f.endsWith(".js"))) {
    const m = /static __pulumiType = '([^']+)'/.exec(fs.readFileSync(path.join(SDK, f), "utf8"));
    if (m && m[1]!.startsWith("docker:")) out.set(m[1]!, f.replace(/\.js$/, ""));
  }
  return out;
}

// docker:index/container:Container -> ContainerArgs, and a nested type token -> its input interface name.
const argsName = (token: string) => `${token.split(":").pop()}Args`;
const typeName = (ref: string) => {
  const t = ref.replace("#/types/", "").split(":").pop()!;
  return t.charAt(0).toUpperCase() + t.slice(1);
};

describe("the docker provider built for CI", () => {
  it("declares the SDK's resources: every one the SDK has, except the SDK's own non-bridged Image, which this program does not use", (ctx) => {
    const schema = builtSchema();
    skipOrFail(ctx, typeof schema === "string" ? schema : undefined);
    const s = schema as Schema;
    const sdk = [...sdkResources().keys()].sort();
    expect(sdk.filter((t) => !(t in s.resources))).toEqual(["docker:index/image:Image"]);
    expect(Object.keys(s.resources).filter((t) => !sdk.includes(t))).toEqual([]);
    const program = fs.readdirSync(path.join(ROOT, "components"), { recursive: true }).filter((f) => String(f).endsWith(".ts"));
    for (const f of program) expect(fs.readFileSync(path.join(ROOT, "components", String(f)), "utf8"), String(f)).not.toMatch(/new docker\.Image\(/);
  });

  it("gives each resource exactly the inputs of the SDK's Args, and each nested input type exactly its fields", (ctx) => {
    const schema = builtSchema();
    skipOrFail(ctx, typeof schema === "string" ? schema : undefined);
    const s = schema as Schema;
    const files = sdkResources();
    const inputTypes = path.join(SDK, "types/input.d.ts");
    const nestedSeen = new Set<string>();
    for (const [token, r] of Object.entries(s.resources)) {
      const declared = interfaceMembers(path.join(SDK, `${files.get(token)}.d.ts`), argsName(token));
      expect(declared, token).toBeDefined();
      expect(Object.keys(r.inputProperties ?? {}).sort(), token).toEqual([...declared!].sort());
      // Nested object types the inputs refer to, compared field by field with the SDK's input types.
      const refs = Object.values(r.inputProperties ?? {}).flatMap((p) => [p.$ref, p.items?.$ref, p.additionalProperties?.$ref]).filter((x): x is string => !!x?.startsWith("#/types/"));
      const queue = [...refs];
      while (queue.length) {
        const ref = queue.pop()!;
        const key = ref.replace("#/types/", "");
        if (nestedSeen.has(key)) continue;
        nestedSeen.add(key);
        const t = s.types[key];
        if (!t?.properties) continue;
        const sdkFields = interfaceMembersInNamespace(inputTypes, typeName(ref));
        expect(Object.keys(t.properties).sort(), key).toEqual([...(sdkFields ?? [])].sort());
        for (const p of Object.values(t.properties) as { $ref?: string; items?: { $ref?: string } }[])
          for (const r2 of [p.$ref, p.items?.$ref]) if (r2?.startsWith("#/types/")) queue.push(r2);
      }
    }
    expect(nestedSeen.size).toBeGreaterThan(30);
  });
});

// types/input.d.ts declares `export interface ContainerHealthcheck` inside `export declare namespace ...`.
function interfaceMembersInNamespace(file: string, name: string): string[] | undefined {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  let found: string[] | undefined;
  const visit = (node: ts.Node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name && !found)
      found = node.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
