// What the stand-in provider plugins share: Pulumi's secret wrapper on property values, and a check
// that refuses inputs the stand-in does not implement (so a program never silently relies on a
// behaviour only the real provider has).
import type { CheckFailure } from "@pulumi/pulumi/provider";

// The engine's marker for a secret property value (sdk/go/common/resource/properties.go).
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export type Props = Record<string, unknown>;

export function isSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Props)[SECRET_SIG] === SECRET_VALUE;
}

export function secret(value: unknown): Props {
  return { [SECRET_SIG]: SECRET_VALUE, value };
}

// The plain value of a property, without secret wrappers at any depth.
export function plain(v: unknown): unknown {
  if (isSecret(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

export function containsSecret(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsSecret);
  return false;
}

// Inputs the engine adds to every resource; never the program's.
const ENGINE_KEYS = new Set(["__defaults"]);

export function unsupportedInputs(news: Props, supported: readonly string[], what: string): CheckFailure[] {
  return Object.keys(news)
    .filter((k) => !ENGINE_KEYS.has(k) && !supported.includes(k))
    .map((property) => ({
      property,
      reason: `${what} stand-in (CI tooling) does not implement '${property}'; implement it in .ci/toolchain/providers or use the real provider`,
    }));
}

// The resource type token from a URN: urn:pulumi:stack::project::parent$type::name.
export function typeOf(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}
