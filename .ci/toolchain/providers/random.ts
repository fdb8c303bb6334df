// Stand-in for the `random` provider plugin (4.21.2), which no registry here serves: RandomPassword with
// the inputs this program uses, generated like the real one (every input forces a new password; the
// result is a secret). CI tooling only: users get the real plugin.
import * as crypto from "crypto";
import * as provider from "@pulumi/pulumi/provider";
import { plain, secret, typeOf, unsupportedInputs, type Props } from "./plugin";

export const VERSION = "4.21.2";
const PASSWORD = "random:index/randomPassword:RandomPassword";

// The real provider's character classes (terraform-provider-random, internal/random/string.go).
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

const DEFAULTS = { upper: true, lower: true, numeric: true, special: true, minUpper: 0, minLower: 0, minNumeric: 0, minSpecial: 0 };
const SUPPORTED = ["length", "overrideSpecial", "keepers", ...Object.keys(DEFAULTS)];

export interface PasswordInputs {
  length: number;
  upper: boolean;
  lower: boolean;
  numeric: boolean;
  special: boolean;
  minUpper: number;
  minLower: number;
  minNumeric: number;
  minSpecial: number;
  overrideSpecial?: string;
}

// A password of `length` characters with at least the minimum of each class, in random order.
export function generatePassword(p: PasswordInputs): string {
  const special = p.overrideSpecial ?? SPECIAL;
  const classes = [
    { on: p.upper, chars: UPPER, min: p.minUpper },
    { on: p.lower, chars: LOWER, min: p.minLower },
    { on: p.numeric, chars: NUMERIC, min: p.minNumeric },
    { on: p.special, chars: special, min: p.minSpecial },
  ].filter((c) => c.on && c.chars.length > 0);
  const all = classes.map((c) => c.chars).join("");
  if (!all) throw new Error("no characters to choose from: enable at least one of upper, lower, numeric, special");
  const pick = (chars: string) => chars[crypto.randomInt(chars.length)]!;
  const out: string[] = [];
  for (const c of classes) for (let i = 0; i < c.min; i++) out.push(pick(c.chars));
  while (out.length < p.length) out.push(pick(all));
  // Fisher-Yates, so the guaranteed characters are not all at the front.
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.join("");
}

function withDefaults(news: Props): Props {
  return { ...DEFAULTS, ...news };
}

function failures(urn: string, news: Props): provider.CheckFailure[] {
  if (typeOf(urn) !== PASSWORD) return [{ property: "", reason: `the random stand-in implements only ${PASSWORD}` }];
  const out = unsupportedInputs(news, SUPPORTED, "the random provider's");
  const p = plain(news) as Partial<PasswordInputs>;
  if (typeof p.length !== "number" || !Number.isInteger(p.length) || p.length < 1)
    out.push({ property: "length", reason: "must be a whole number of at least 1" });
  const mins = (p.minUpper ?? 0) + (p.minLower ?? 0) + (p.minNumeric ?? 0) + (p.minSpecial ?? 0);
  if (typeof p.length === "number" && mins > p.length)
    out.push({ property: "length", reason: `must be at least the sum of the minimums (${mins})` });
  return out;
}

export const randomProvider: provider.Provider = {
  version: VERSION,
  async check(urn, _olds, news) {
    return { inputs: withDefaults(news), failures: failures(urn, news) };
  },
  // Every input of RandomPassword forces a new password, as in the real provider.
  async diff(_id, _urn, olds, news) {
    const changed = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter(
      (k) => k !== "result" && k !== "bcryptHash" && JSON.stringify(plain(olds[k])) !== JSON.stringify(plain(news[k])),
    );
    const inputsChanged = changed.filter((k) => k in news || SUPPORTED.includes(k));
    return { changes: inputsChanged.length > 0, replaces: inputsChanged };
  },
  async create(_urn, inputs) {
    const p = plain(withDefaults(inputs)) as unknown as PasswordInputs;
    return { id: crypto.randomUUID(), outs: { ...inputs, result: secret(generatePassword(p)) } };
  },
  async read(id, _urn, props) {
    return { id, props };
  },
  async delete() {
    // Nothing exists outside the state.
  },
};

// Run as a plugin: serve the engine (the SDK prints the port it listens on).
if (require.main === module) void provider.main(randomProvider, process.argv.slice(2));
