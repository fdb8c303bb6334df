// Reads the stack's configuration, validates all of it at once and reports every mistake together,
// each naming the config key and the fix, before any resource is declared.
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { credentialProblems } from "./credentials";
import { MCP_SERVER_PRESETS, PRESET_NAMES, PROJECT, crossChecks, platformObject, platformSchema, requiredSecrets, withPresets, type PlatformConfig } from "./schema";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The stack configuration has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}; nothing was deployed.\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  config: PlatformConfig;
  // Names of the secret config keys the settings refer to (all present).
  secretKeys: string[];
  // Things worth saying that block nothing, e.g. a stored secret that only a disabled server uses.
  notices: string[];
}

const TOP_LEVEL_KEYS = Object.keys(platformObject.shape);
const SHAPE = platformObject.shape as Record<string, z.ZodType>;
// Top-level settings that are maps of named entries: an entry with a mistake is left out of the cross
// checks, and the other entries are still checked in the same round.
const NAMED_ENTRIES = new Set(["services", "dataServices"]);
function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const dist = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return best;
}

function keyPath(pathParts: readonly PropertyKey[]): string {
  return `${PROJECT}:${pathParts.map(String).join(".")}`;
}

function describe(input: unknown): string {
  const s = JSON.stringify(input);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// Known keys of the object schema at a path, for "did you mean" on a typo.
function knownKeysAt(pathParts: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = platformSchema;
  for (const part of pathParts) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      const next = (schema.shape as Record<string, z.ZodType>)[String(part)];
      if (!next) return [];
      schema = next;
    } else if (schema instanceof z.ZodRecord) {
      schema = schema._zod.def.valueType as z.ZodType;
    } else return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  for (;;) {
    const def = schema._zod.def as { type: string; innerType?: z.ZodType; out?: z.ZodType; in?: z.ZodType };
    if ((def.type === "default" || def.type === "optional" || def.type === "prefault") && def.innerType) schema = def.innerType;
    else if (def.type === "pipe" && def.out && def.in) schema = def.out._zod.def.type === "transform" ? def.in : def.out;
    else return schema;
  }
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], settings: Record<string, unknown> = {}): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const shape = shapeProblem(issue, settings);
    if (shape) {
      out.push(shape);
      continue;
    }
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const outdent = outdentHint(issue.path, key, settings);
        if (outdent) {
          out.push(`${keyPath([...issue.path, key])} is not a setting of ${keyPath(issue.path).slice(PROJECT.length + 1)}: ${outdent}`);
          continue;
        }
        const hint = suggest(key, knownKeysAt(issue.path));
        out.push(
          `${keyPath([...issue.path, key])} is not a known setting: ${hint ? `did you mean ${hint}? ` : ""}remove it or fix its name` +
            (issue.path.length === 0 ? ` (e.g. pulumi config rm ${key})` : ""),
        );
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      out.push(`${keyPath(issue.path)} ${issue.issues[0]?.message ?? "is not a valid name"} (got ${describe(issue.input)})`);
      continue;
    }
    if (issue.code !== "custom" && "input" in issue && issue.input === undefined) {
      out.push(`${keyPath(issue.path)} is required: it ${issue.message}`);
      continue;
    }
    const got = "input" in issue ? ` (got ${describe(issue.input)})` : "";
    out.push(`${keyPath(issue.path)} ${issue.message}${issue.code === "custom" ? "" : got}`);
  }
  return [...new Set(out)];
}

// Raw stack config: `mcp-platform:key` -> string as Pulumi hands it over (objects as JSON).
// Every mistake is reported in one round: each top-level setting is parsed on its own, a server or data
// service with a mistake is left out of the cross checks while the others are still checked, and the
// secrets and build contexts are checked with the rest.
export function parseConfig(
  raw: Record<string, string>,
  isSecret: (fullKey: string) => boolean,
  exists: (p: string) => boolean = fs.existsSync,
  projectDir: string = process.cwd(),
): LoadedConfig {
  const prefix = `${PROJECT}:`;
  const settings: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [fullKey, value] of Object.entries(raw)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    given.set(key, value);
    if (!TOP_LEVEL_KEYS.includes(key) || isSecret(fullKey)) continue;
    try {
      settings[key] = JSON.parse(value);
    } catch {
      settings[key] = value;
    }
  }

  const { config, issues, failed } = parseSettings(settings);
  const under = (p: string) => failed.some((f) => p === f || p.startsWith(`${f}.`));
  const problems: string[] = formatIssues(issues, settings);
  problems.push(...[...crossChecks(config), ...credentialProblems(config)].filter((p) => !under(p.path)).map((p) => `${PROJECT}:${p.path} ${p.message}`));
  const secrets = requiredSecrets(config).filter((s) => !under(s.neededBy));
  const secretNames = new Set(secrets.map((s) => s.key));
  for (const key of TOP_LEVEL_KEYS)
    if (isSecret(prefix + key)) problems.push(`${prefix}${key} is a plain setting but was set as a secret: set it again without --secret`);
  for (const s of secrets) {
    if (TOP_LEVEL_KEYS.includes(s.key)) {
      problems.push(`${keyPath(s.neededBy.split("."))} names "${s.key}", which is a plain setting: name a secret key instead`);
      continue;
    }
    if (!given.has(s.key))
      problems.push(
        `${prefix}${s.key} is a required secret (for ${s.neededBy}) and is not set: ` +
          (s.fromFile
            ? `pulumi config set --secret ${s.key} < path/to/${path.basename(s.fromFile)}`
            : `pulumi config set --secret ${s.key} <value>`),
      );
    else if (!isSecret(prefix + s.key))
      problems.push(`${prefix}${s.key} holds a secret but is stored in plain text: pulumi config set --secret ${s.key} <value>`);
  }

  // A secret kept for a server the stack does not run (disabled, or a preset it leaves out) is ignored
  // with a notice: turning a server off must not make the stack undeployable.
  const notices: string[] = [];
  const dormant = dormantSecrets(config);
  for (const [key, users] of dormant) {
    if (secretNames.has(key) || !given.has(key)) continue;
    notices.push(`${prefix}${key} is set but not used: only ${users.join(", ")} refer${users.length === 1 ? "s" : ""} to it; it is ignored (pulumi config rm ${key} removes it)`);
  }
  // A setting with a mistake may name secrets; they are not "unknown" because of that mistake.
  const mentioned = new Set(failed.flatMap((f) => stringsIn(valueAt(settings, f.split(".")))));
  problems.push(...unknownKeyProblems(given, new Set([...secretNames, ...dormant.keys(), ...mentioned])));
  problems.push(...buildContextProblems(config, exists, projectDir).filter((p) => !under(p.slice(prefix.length).split(".build.")[0]!)));
  if (problems.length) throw new ConfigError([...new Set(problems)]);
  return { config, secretKeys: [...secretNames], notices };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

let defaultsCache: Record<string, unknown> | undefined;
const defaults = () => (defaultsCache ??= platformSchema.parse({}) as Record<string, unknown>);

// Each top-level setting on its own; a setting with a mistake takes its default for the cross checks
// (whose findings under it are then dropped), and a named entry with a mistake is left out.
function parseSettings(settings: Record<string, unknown>): { config: PlatformConfig; issues: z.core.$ZodIssue[]; failed: string[] } {
  const prepared = withPresets(settings) as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const issues: z.core.$ZodIssue[] = [];
  const failed: string[] = [];
  for (const key of TOP_LEVEL_KEYS) {
    const input = prepared[key];
    const result = SHAPE[key]!.safeParse(input, { reportInput: true });
    if (result.success) {
      values[key] = result.data;
      continue;
    }
    issues.push(...result.error.issues.map((i) => ({ ...i, path: [key, ...i.path] })));
    if (NAMED_ENTRIES.has(key) && isPlainObject(input)) {
      const bad = new Set(result.error.issues.filter((i) => i.path.length > 0).map((i) => String(i.path[0])));
      const rest = SHAPE[key]!.safeParse(Object.fromEntries(Object.entries(input).filter(([name]) => !bad.has(name))));
      if (bad.size > 0 && rest.success) {
        values[key] = rest.data;
        failed.push(...[...bad].map((name) => `${key}.${name}`));
        continue;
      }
    }
    values[key] = defaults()[key];
    failed.push(key);
  }
  return { config: values as PlatformConfig, issues, failed };
}

// Secret keys that only servers the stack does not run refer to, with who refers to each.
function dormantSecrets(c: PlatformConfig): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (key: unknown, who: string) => {
    if (typeof key === "string") out.set(key, [...(out.get(key) ?? []), who]);
  };
  const refs = (s: { secretEnv?: unknown; secretFiles?: unknown }, who: string) => {
    for (const v of Object.values(isPlainObject(s.secretEnv) ? s.secretEnv : {})) add(v, who);
    for (const v of Object.values(isPlainObject(s.secretFiles) ? s.secretFiles : {})) add(v, who);
  };
  for (const [name, s] of Object.entries(c.services)) if (!s.enabled) refs(s, `services.${name} (enabled: false)`);
  for (const [name, d] of Object.entries(c.dataServices)) if (!d.enabled) refs(d, `dataServices.${name} (enabled: false)`);
  for (const name of PRESET_NAMES) if (!(name in c.services)) refs(MCP_SERVER_PRESETS[name]!, `the ${name} preset (not in presets)`);
  if (!c.backup.enabled) add(c.backup.passwordKey, "backup.passwordKey (backup disabled)");
  if (!c.firewall.enabled || !c.dockerHost.startsWith("ssh://")) add(c.firewall.sshPrivateKey, "firewall.sshPrivateKey (not used)");
  return out;
}

function valueAt(root: unknown, parts: readonly PropertyKey[]): unknown {
  let v = root;
  for (const part of parts) v = isPlainObject(v) ? v[String(part)] : Array.isArray(v) ? v[Number(part)] : undefined;
  return v;
}

function stringsIn(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  if (isPlainObject(v)) return Object.values(v).flatMap(stringsIn);
  return [];
}

function what(v: unknown): string {
  if (v === null) return "empty";
  if (Array.isArray(v)) return "a list";
  if (isPlainObject(v)) return "a map";
  if (typeof v === "string") return `the text ${describe(v)}`;
  if (typeof v === "number") return `the number ${v}`;
  return `${describe(v)}`;
}

// Mistakes of YAML shape (usually indentation) in words: which key expected a map or a list, what it
// got, and the likely fix.
function shapeProblem(issue: z.core.$ZodIssue, settings: Record<string, unknown>): string | undefined {
  if (issue.code !== "invalid_type" || !("input" in issue)) return undefined;
  const expected = (issue as { expected?: string }).expected;
  const input = issue.input;
  const parts = issue.path;
  const key = String(parts[parts.length - 1] ?? "");
  const parentParts = parts.slice(0, -1);
  if ((expected === "object" || expected === "record") && input !== undefined && !isPlainObject(input)) {
    if (input === null)
      return `${keyPath(parts)} is empty, but it should hold settings: indent its settings under it (two spaces more than "${key}:"), or remove the line`;
    // A setting of an entry written at the level of the entries: the line is indented too little.
    const entryKeys = parentParts.length ? knownKeysAt([...parentParts, "*"]) : [];
    if (entryKeys.includes(key)) {
      const parent = valueAt(settings, parentParts);
      const siblings = isPlainObject(parent) ? Object.keys(parent) : [];
      const above = siblings[siblings.indexOf(key) - 1];
      const where = above ? `under ${keyPath([...parentParts, above]).slice(PROJECT.length + 1)} (the entry above it), i.e. ${keyPath([...parentParts, above, key]).slice(PROJECT.length + 1)}` : "under the entry it belongs to";
      return (
        `${keyPath(parts)} is ${what(input)}, but ${keyPath(parentParts).slice(PROJECT.length + 1)} is a map of names to settings, and ${key} is a setting, not a name: ` +
        `the line is probably indented too little; indent it two more spaces, ${where}`
      );
    }
    const known = knownKeysAt(parts);
    return (
      `${keyPath(parts)} must be a map of settings on indented lines below it${known.length ? ` (such as ${known.slice(0, 3).join(", ")})` : ""}, but it is ${what(input)}: ` +
      `write "${key}:" on a line of its own and its settings indented two spaces under it`
    );
  }
  if (expected === "array" && isPlainObject(input))
    return `${keyPath(parts)} must be a list, but it is a map: start each entry with "- " indented under "${key}:" (e.g. "- name: hourly")`;
  return undefined;
}

// An unknown key that is a known name one level up: the line is probably indented too far.
function outdentHint(parts: readonly PropertyKey[], key: string, settings: Record<string, unknown>): string | undefined {
  if (parts.length === 0) return undefined;
  const up = parts.slice(0, -1);
  const parent = valueAt(settings, up);
  // The names valid one level up: its settings, or, in a map of names such as services, the names
  // written there and the presets.
  const upKeys = up.length === 0 ? [...TOP_LEVEL_KEYS] : knownKeysAt(up);
  if (up.length > 0 && upKeys.length === 0 && knownKeysAt([...up, "*"]).length > 0)
    upKeys.push(...(isPlainObject(parent) ? Object.keys(parent) : []), ...(up.join(".") === "services" ? PRESET_NAMES : []));
  if (!upKeys.includes(key)) return undefined;
  if (up.length === 0)
    return `${key} is a setting of its own (${PROJECT}:${key}): write it at the level of the other ${PROJECT}: keys, as "${PROJECT}:${key}:"`;
  return `${key} belongs one level up (${keyPath([...up, key]).slice(PROJECT.length + 1)}): the line is probably indented too far; outdent it two spaces`;
}

function unknownKeyProblems(given: Map<string, string>, secretNames: Set<string>): string[] {
  const out: string[] = [];
  for (const key of given.keys()) {
    if (TOP_LEVEL_KEYS.includes(key) || secretNames.has(key)) continue;
    const hint = suggest(key, [...TOP_LEVEL_KEYS, ...secretNames]);
    out.push(
      `${PROJECT}:${key} is not a known setting${hint ? ` (did you mean ${hint}?)` : ""}: ` +
        `remove it with pulumi config rm ${key}, or refer to it from a secretEnv or secretFiles entry if it is a secret`,
    );
  }
  return out;
}

// Directory a build context resolves to: relative paths are taken from sourceRoot, itself relative to the project.
export function resolveBuildContext(config: PlatformConfig, context: string, projectDir: string = process.cwd()): string {
  return path.resolve(projectDir, config.sourceRoot, context);
}

function buildContextProblems(config: PlatformConfig, exists: (p: string) => boolean, projectDir: string): string[] {
  const out: string[] = [];
  const check = (key: string, b: { context: string } | undefined, enabled: boolean) => {
    if (!b || !enabled) return;
    const dir = resolveBuildContext(config, b.context, projectDir);
    if (!exists(dir))
      out.push(
        `${PROJECT}:${key}.build.context is ${dir}, which does not exist: clone the ai-PA repository there, ` +
          `set ${PROJECT}:sourceRoot to your checkout, or set ${key}.image to a registry image`,
      );
  };
  for (const [name, s] of Object.entries(config.services)) check(`services.${name}`, s.build, s.enabled);
  for (const [name, d] of Object.entries(config.dataServices)) check(`dataServices.${name}`, d.build, d.enabled);
  check("healthMonitor", config.healthMonitor.build, config.healthMonitor.enabled);
  return out;
}
