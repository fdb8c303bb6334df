// `npm run pin -- --stack prod`: resolves each image's tag to its registry digest and writes
// `name:tag@sha256:…` into the stack file, keeping the tag for readers (and comments and layout as they
// were). Prod's policy requires digests: the path to a prod deploy is pin, then preview, then up.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { isMap, parseDocument, type Document } from "yaml";
import { PROJECT, platformSchema, type PlatformConfig } from "../config/schema";
import { PinError, dockerConfigCredentials, parseReference, resolveDigest, type Credentials } from "./registry";
import { argvProblem, runCli } from "../operate/cli";

export interface ImageSetting {
  // Config path below mcp-platform:, e.g. ["services", "gmail", "image"].
  path: string[];
  image: string;
}

// Every image the stack pulls, with the setting that names it (a preset's image included), and every
// service it builds instead (which a digest cannot pin).
export function imageSettings(c: PlatformConfig): { images: ImageSetting[]; builds: string[] } {
  const images: ImageSetting[] = [{ path: ["neo4j", "image"], image: c.neo4j.image }];
  const builds: string[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    if (!s.enabled) continue;
    if (s.image) images.push({ path: ["services", name, "image"], image: s.image });
    else builds.push(`services.${name}`);
  }
  for (const [name, d] of Object.entries(c.dataServices)) {
    if (!d.enabled) continue;
    if (d.image) images.push({ path: ["dataServices", name, "image"], image: d.image });
    else builds.push(`dataServices.${name}`);
  }
  if (c.healthMonitor.enabled) {
    if (c.healthMonitor.image) images.push({ path: ["healthMonitor", "image"], image: c.healthMonitor.image });
    else builds.push("healthMonitor");
  }
  images.push({ path: ["gateway", "image"], image: c.gateway.image });
  if (c.backup.enabled && c.backup.image) images.push({ path: ["backup", "image"], image: c.backup.image });
  return { images, builds };
}

export const withDigest = (image: string, digest: string) => `${image.split("@")[0]}@${digest}`;

function settingsOf(doc: Document): Record<string, unknown> {
  const config = (doc.toJS() as { config?: Record<string, unknown> } | null)?.config ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (k.startsWith(`${PROJECT}:`) && !(typeof v === "object" && v !== null && "secure" in v)) out[k.slice(PROJECT.length + 1)] = v;
  return out;
}

// The stack's raw config (`mcp-platform:key` -> value as Pulumi hands it over) with every image that has
// no digest yet pinned: what a deploy sees after `npm run pin`. The tests use it with stand-in digests.
export function pinnedConfig(raw: Record<string, string>, digestOf: (image: string) => string): Record<string, string> {
  const settings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!k.startsWith(`${PROJECT}:`)) continue;
    try {
      settings[k.slice(PROJECT.length + 1)] = JSON.parse(v);
    } catch {
      settings[k.slice(PROJECT.length + 1)] = v;
    }
  }
  const out = { ...raw };
  const { images } = imageSettings(platformSchema.parse(settings));
  for (const { path: p, image } of images) {
    if (image.includes("@")) continue;
    const [top, ...rest] = p as [string, ...string[]];
    const value = (settings[top] ?? {}) as Record<string, unknown>;
    let node = value;
    for (const part of rest.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[rest[rest.length - 1]!] = withDigest(image, digestOf(image));
    settings[top] = value;
    out[`${PROJECT}:${top}`] = JSON.stringify(value);
  }
  return out;
}

export interface PinResult {
  setting: string;
  image: string;
  digest?: string;
  previous?: string;
  error?: string;
}

export async function pinFile(file: string, opts: { dryRun?: boolean; credentials?: Credentials } = {}): Promise<{ results: PinResult[]; builds: string[]; written: boolean }> {
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  if (doc.errors.length) throw new PinError(`${file} is not valid YAML: ${doc.errors[0]!.message}`);
  const parsed = platformSchema.safeParse(settingsOf(doc));
  if (!parsed.success)
    throw new PinError(`${file} has configuration errors; fix them first (pulumi preview lists them): ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`);
  const { images, builds } = imageSettings(parsed.data);
  const credentials = opts.credentials ?? dockerConfigCredentials();
  const results = await Promise.all(
    images.map(async ({ path: p, image }): Promise<PinResult> => {
      const setting = p.join(".");
      try {
        const ref = parseReference(image);
        return { setting, image: ref.name, digest: await resolveDigest(ref, credentials), previous: ref.digest };
      } catch (e) {
        return { setting, image, error: e instanceof PinError ? e.message : (e as Error).message };
      }
    }),
  );
  // All or nothing: a file half pinned would deploy a mix of checked and unchecked images.
  const ok = results.every((r) => r.digest) && builds.length === 0;
  if (ok && !opts.dryRun) {
    for (const r of results) {
      const [top, ...rest] = r.setting.split(".") as [string, ...string[]];
      doc.setIn(["config", `${PROJECT}:${top}`, ...rest], withDigest(r.image, r.digest!));
    }
    if (!isMap(doc.contents)) throw new PinError(`${file} has no config map`);
    fs.writeFileSync(file, doc.toString({ lineWidth: 0 }));
  }
  return { results, builds, written: ok && !opts.dryRun };
}

export const USAGE = `Resolves each image of a stack to its registry digest and writes name:tag@sha256:<digest> into the
stack file (Pulumi.<stack>.yaml), keeping the tag. Run it before previewing a prod change: prod's policy
requires every image pinned by digest.

usage: npm run pin -- --stack <name> [--dry-run]

options:
  --stack <name>   the stack whose file to pin (Pulumi.<name>.yaml in the project directory)
  --dry-run        resolve and print the digests, change nothing
  -h, --help       this text

Registries: Docker Hub and any registry with the Docker Registry HTTP API v2; credentials from
~/.docker/config.json (docker login). exit code: 0 pinned, 1 an image could not be pinned, 2 bad usage.`;

export async function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error, projectDir = process.cwd()): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, options: { stack: { type: "string" }, "dry-run": { type: "boolean" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (e) {
    err(`pin: ${argvProblem(e)}\nrun with --help for usage`);
    return 2;
  }
  if (v.help) {
    out(USAGE);
    return 0;
  }
  if (!v.stack) {
    err("pin: --stack <name> is required (e.g. npm run pin -- --stack prod)\nrun with --help for usage");
    return 2;
  }
  const file = path.join(projectDir, `Pulumi.${v.stack}.yaml`);
  if (!fs.existsSync(file)) {
    err(`pin: ${file} does not exist: is ${v.stack} a stack of this project (pulumi stack ls)?`);
    return 2;
  }
  let r;
  try {
    r = await pinFile(file, { dryRun: v["dry-run"] });
  } catch (e) {
    err(`pin: ${(e as Error).message}`);
    return 2;
  }
  const width = Math.max(...r.results.map((x) => x.setting.length));
  for (const x of r.results) {
    const what = x.error
      ? `FAILED: ${x.error}`
      : `${x.image}@${x.digest}${x.previous === undefined ? " (pinned)" : x.previous === x.digest ? " (unchanged)" : ` (was ${x.previous})`}`;
    out(`${x.setting.padEnd(width)}  ${what}`);
  }
  for (const b of r.builds) err(`pin: ${b} is built from source, which a digest cannot pin: push the image to a registry and set ${b}.image`);
  if (!r.written) {
    if (v["dry-run"] && r.results.every((x) => x.digest) && !r.builds.length) out(`\npin: dry run, ${path.basename(file)} unchanged`);
    else err(`\npin: ${path.basename(file)} unchanged: every image must resolve before any is written`);
    return v["dry-run"] && r.results.every((x) => x.digest) && !r.builds.length ? 0 : 1;
  }
  out(`\npin: wrote ${r.results.length} digests to ${path.basename(file)}; next: pulumi preview --stack ${v.stack} (npm run preview -- --stack ${v.stack})`);
  return 0;
}

if (require.main === module) runCli((argv) => main(argv));
