// The same resources declared directly: every resource of a stack's state (`pulumi stack export
// --show-secrets`), to be registered again under the same URN with the same inputs, provider and parent,
// by a program with no config, model or spec builders of its own. Its no-op preview against the
// platform's stack is what any program declaring these resources pays (CLI, engine, providers); the
// platform's no-op preview over it is what the platform's program adds.
//
// Pure: values come out as plain JSON with secrets and assets marked (Secret, TextAsset, FileAsset), and
// the driver turns those into the SDK's objects.

// The engine's markers of special values (sdk/go/common/resource/sig).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const ASSET = "c44067f5952c0a294b673a41bacd8c17";

export class Secret {
  constructor(readonly value: Value) {}
}
export class TextAsset {
  constructor(readonly text: string) {}
}
export class FileAsset {
  constructor(readonly path: string) {}
}
export type Value = null | boolean | number | string | Secret | TextAsset | FileAsset | Value[] | { [key: string]: Value };

// A resource as an export writes it: the fields this reads.
export interface ExportedResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  external?: boolean;
  protect?: boolean;
  parent?: string;
  provider?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface Declaration {
  kind: "component" | "custom" | "provider";
  urn: string;
  type: string;
  name: string;
  // The parent's URN; none for the stack's own children.
  parent?: string;
  inputs: Record<string, Value>;
  // custom: the explicit provider's URN, or the version of the engine's default provider it used.
  provider?: { urn: string } | { defaultVersion: string };
  // provider: its package and the plugin version it was declared with.
  pkg?: string;
  version?: string;
  protect: boolean;
  // A resource read, not managed (`Resource.get`): its ID.
  readId?: string;
}

export interface StateProgram {
  declarations: Declaration[];
  outputs: Record<string, Value>;
}

export function decoded(v: unknown, where: string): Value {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x, i) => decoded(x, `${where}[${i}]`));
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SIG_KEY in o) {
      if (o[SIG_KEY] === SECRET) {
        if (typeof o.plaintext !== "string") throw new Error(`${where}: a secret is not shown: export the state with --show-secrets`);
        return new Secret(decoded(JSON.parse(o.plaintext), where));
      }
      if (o[SIG_KEY] === ASSET && typeof o.text === "string") return new TextAsset(o.text);
      if (o[SIG_KEY] === ASSET && typeof o.path === "string") return new FileAsset(o.path);
      throw new Error(`${where}: a value of kind ${String(o[SIG_KEY])} (archive, remote asset or resource reference) is not supported`);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decoded(x, `${where}.${k}`)]));
  }
  throw new Error(`${where}: ${typeof v} is not a value of a state`);
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
// A provider reference is "<provider URN>::<provider ID>".
const providerUrn = (ref: string) => ref.slice(0, ref.lastIndexOf("::"));
const PROVIDER_TYPE = /^pulumi:providers:(.+)$/;
// The engine's default providers are named default or default_<version with underscores>.
const isDefaultProvider = (urn: string) => /^default(_|$)/.test(nameOf(urn));

export function programFromState(resources: ExportedResource[]): StateProgram {
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  if (!stack) throw new Error("the state has no pulumi:pulumi:Stack resource: is it an export of a deployed stack?");
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const versionOf = (urn: string) => {
    const v = byUrn.get(urn)?.inputs?.version;
    return typeof v === "string" ? v : undefined;
  };
  const declarations: Declaration[] = [];
  for (const r of resources) {
    if (r.urn === stack.urn) continue;
    const provider = PROVIDER_TYPE.exec(r.type);
    // The engine makes a default provider itself for the resources that use one.
    if (provider && isDefaultProvider(r.urn)) continue;
    const inputs = decoded(r.inputs ?? {}, r.urn) as Record<string, Value>;
    const base = { urn: r.urn, type: r.type, name: nameOf(r.urn), parent: r.parent && r.parent !== stack.urn ? r.parent : undefined, protect: r.protect === true };
    if (provider) {
      // The engine adds the plugin's version to a provider's inputs; the SDK sends it as an option.
      const { version, ...rest } = inputs;
      declarations.push({ ...base, kind: "provider", pkg: provider[1], version: typeof version === "string" ? version : undefined, inputs: rest });
    } else if (r.custom) {
      if (!r.provider) throw new Error(`${r.urn}: a custom resource without a provider in the state`);
      const urn = providerUrn(r.provider);
      const ref = isDefaultProvider(urn) ? versionOf(urn) : undefined;
      if (isDefaultProvider(urn) && !ref) throw new Error(`${r.urn}: its default provider ${urn} has no version in the state`);
      declarations.push({
        ...base,
        kind: "custom",
        inputs,
        provider: ref ? { defaultVersion: ref } : { urn },
        ...(r.external && r.id ? { readId: r.id } : {}),
      });
    } else {
      declarations.push({ ...base, kind: "component", inputs });
    }
  }
  // An export lists a resource after its parent and its provider; the driver relies on that order.
  const declared = new Set<string>();
  for (const d of declarations) {
    if (d.parent && !declared.has(d.parent)) throw new Error(`${d.urn}: its parent ${d.parent} is not declared before it`);
    if (d.provider && "urn" in d.provider && !declared.has(d.provider.urn)) throw new Error(`${d.urn}: its provider ${d.provider.urn} is not declared before it`);
    declared.add(d.urn);
  }
  return { declarations, outputs: decoded(stack.outputs ?? {}, "the stack's outputs") as Record<string, Value> };
}
