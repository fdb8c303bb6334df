// Reads the stack's configuration, validates all of it at once and reports every mistake together,
// each naming the config key and the fix, before any resource is declared.
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { credentialProblems } from "./credentials";
import { PROJECT, crossChecks, platformSchema, requiredSecrets, type PlatformConfig } from "./schema";

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
}

const TOP_LEVEL_KEYS = Object.keys(platformSchema.shape ?? {});

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

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
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

  const result = platformSchema.safeParse(settings, { reportInput: true });
  if (!result.success) {
    // Which secrets are referenced is unknown until the settings parse: accept every key stored as a secret.
    const storedSecrets = new Set([...given.keys()].filter((k) => isSecret(prefix + k)));
    throw new ConfigError(formatIssues(result.error.issues).concat(unknownKeyProblems(given, storedSecrets)));
  }

  const config = result.data;
  const problems: string[] = [...crossChecks(config), ...credentialProblems(config)].map((p) => `${PROJECT}:${p.path} ${p.message}`);
  const secrets = requiredSecrets(config);
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
  problems.push(...unknownKeyProblems(given, secretNames));
  problems.push(...buildContextProblems(config, exists, projectDir));
  if (problems.length) throw new ConfigError(problems);
  return { config, secretKeys: [...secretNames] };
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
