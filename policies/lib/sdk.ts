// What this pack uses from @pulumi/policy beyond its typed API, in one place.
// The SDK exports unknownCheckingProxy and UnknownValueError from index.js, but ships proxy.d.ts empty
// (built with stripInternal), so they arrive untyped: declare the shapes the pack relies on.
import * as sdk from "@pulumi/policy";
import type { ReportViolation } from "@pulumi/policy";

interface UnknownValueErrorClass {
  new (unknownTypeSentinel: string, props: PropertyKey[]): UnknownValueErrorInstance;
}
export interface UnknownValueErrorInstance extends Error {
  unknownTypeSentinel: string;
  props: PropertyKey[];
}

const untyped = sdk as unknown as {
  UnknownValueError: UnknownValueErrorClass;
  unknownCheckingProxy: <T>(value: T) => T;
};

// The engine wraps every resource's properties in this proxy: reading a value that is unknown during
// preview (an output of a resource not created yet) throws UnknownValueError.
export const unknownCheckingProxy = untyped.unknownCheckingProxy;
export const UnknownValueError = untyped.UnknownValueError;

export function isUnknownValueError(e: unknown): e is UnknownValueErrorInstance {
  return e instanceof UnknownValueError;
}

// "Can't decide": thrown at the end of a validation that met unknown values. The SDK's server turns an
// UnknownValueError into an advisory diagnostic ("can't run policy … during preview: <message>"), never a
// violation and never a silent pass. Violations found in the known values were reported before it.
export class CannotDecide extends UnknownValueError {
  constructor(first: UnknownValueErrorInstance, unchecked: string[]) {
    super(first.unknownTypeSentinel, first.props);
    this.message = `not checked, values unknown until apply: ${unchecked.join("; ")} (checked again at pulumi up)`;
  }
}

// An advisory message from a policy whatever its enforcement level: used for rules that do not apply yet.
// @pulumi/policy 1.21 accepts an object in reportViolation (pulumi/pulumi-policy#424, not yet in its typings);
// test/policies/pack.test.ts runs the pack as the CLI does to prove it still produces one.
export function reportAdvisory(report: ReportViolation, message: string, urn?: string): void {
  (report as unknown as (info: { message: string; enforcementLevel: "advisory"; urn?: string }) => void)({
    message,
    enforcementLevel: "advisory",
    urn,
  });
}

// The sentinels the engine puts where a value is unknown during preview (proxy.js; untyped, see above).
const proxyModule = require("@pulumi/policy/proxy") as Record<string, string>; // eslint-disable-line @typescript-eslint/no-require-imports -- untyped SDK module
export const UNKNOWN_SENTINELS: ReadonlySet<unknown> = new Set(
  ["unknownBooleanValue", "unknownNumberValue", "unknownStringValue", "unknownArrayValue", "unknownAssetValue", "unknownArchiveValue", "unknownObjectValue"].map((k) => proxyModule[k]),
);
export const isUnknownValue = (v: unknown): boolean => UNKNOWN_SENTINELS.has(v);

// The plain object behind the unknown-checking proxy, to walk it without tripping on unknowns.
export function rawOf<T>(props: T): T {
  const target = (props as Record<string, unknown> | null | undefined)?.[proxyModule.getSpecialProxyTarget!];
  return (target ?? props) as T;
}
