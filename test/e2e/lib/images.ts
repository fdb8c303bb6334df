// Stand-in images for the end-to-end suite. No image registry can be reached here, so the images the
// stacks name (neo4j:5.26, haproxy:3.2, zepai/knowledge-graph-mcp:1.0.1-standalone, node:20-slim for the
// ai-PA builds) are built from the same software (Debian's packages, Maven Central, PyPI, npm), pushed to
// the suite's registry on loopback and untagged locally, so that the program pulls them by tag and by
// digest through the engine's registry mirror, as it pulls from Docker Hub in prod. Base images are
// Debian trees from debootstrap, imported once. Everything is cached between runs under $CACHE/e2e.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "../../harness/stack-files";
import type { Engine } from "./engine";
import { run } from "./run";
import { CACHE, E2E_DIR, RUN_DIR } from "./toolchain";

const IMAGES_DIR = path.join(ROOT, "test/e2e/images");

interface StandIn {
  dir: string;
  // The name the stacks use (a Docker Hub reference).
  tag: string;
  base: "bookworm" | "trixie" | "sid";
  prepare?: (context: string) => Promise<void>;
}

export const STAND_INS: StandIn[] = [
  { dir: "neo4j", tag: "neo4j:5.26", base: "bookworm", prepare: neo4jJars },
  { dir: "haproxy", tag: "haproxy:3.2", base: "sid" },
  { dir: "graphiti", tag: "zepai/knowledge-graph-mcp:1.0.1-standalone", base: "trixie", prepare: pythonWheels },
  { dir: "node", tag: "node:20-slim", base: "trixie", prepare: hostCertificates },
];

// The ai-PA build contexts the stacks build from (sourceRoot): the stand-in MCP server in each role.
export const AI_PA_CONTEXTS = { "gmail-mcp": "gmail", "rag-mcp": "rag", "health-monitor": "monitor" } as const;

function hashDir(dir: string, extra = ""): string {
  const h = crypto.createHash("sha256").update(extra);
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${path.relative(dir, p)}\0`).update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 16);
}

// A Debian tree as `debian:<suite>-slim`, imported from a cached tarball made with debootstrap.
async function baseImage(e: Engine, suite: StandIn["base"]): Promise<void> {
  const tag = `debian:${suite}-slim`;
  if ((await e.docker(["image", "inspect", tag], { allowFail: true })).status === 0) return;
  const tar = path.join(CACHE, "images", `debian-${suite}.tar`);
  if (!fs.existsSync(tar)) {
    const tree = path.join(E2E_DIR, `debootstrap-${suite}`);
    fs.rmSync(tree, { recursive: true, force: true });
    await run("debootstrap", ["--variant=minbase", suite, tree, "http://deb.debian.org/debian"], { timeoutMs: 15 * 60_000 });
    fs.mkdirSync(path.dirname(tar), { recursive: true });
    await run("tar", ["-C", tree, "-cf", `${tar}.tmp`, "."]);
    fs.renameSync(`${tar}.tmp`, tar);
    fs.rmSync(tree, { recursive: true, force: true });
  }
  await run("sh", ["-c", `docker -H "$1" import -c 'CMD ["bash"]' - "$2" < "$3"`, "_", e.host, tag, tar]);
}

// Neo4j 5.26.12, cypher-shell and APOC from Maven Central (the poms under images/neo4j/maven).
async function neo4jJars(context: string): Promise<void> {
  const maven = path.join(IMAGES_DIR, "neo4j/maven");
  const cached = path.join(E2E_DIR, "neo4j-jars", hashDir(maven));
  if (!fs.existsSync(path.join(cached, "complete"))) {
    fs.rmSync(cached, { recursive: true, force: true });
    for (const [pom, out] of [
      ["server", "lib"],
      ["apoc", "apoc"],
    ])
      await run("mvn", ["-q", "-B", "-f", path.join(maven, pom!, "pom.xml"), "dependency:copy-dependencies", `-DoutputDirectory=${path.join(cached, out!)}`, "-DincludeScope=runtime"], {
        timeoutMs: 10 * 60_000,
      });
    // APOC's dependencies that the server already carries stay in lib/ only (one copy on the class path).
    const artifact = (jar: string) => jar.replace(/-\d[\w.]*\.jar$/, "");
    const inLib = new Set(fs.readdirSync(path.join(cached, "lib")).map(artifact));
    for (const jar of fs.readdirSync(path.join(cached, "apoc"))) if (inLib.has(artifact(jar))) fs.rmSync(path.join(cached, "apoc", jar));
    fs.writeFileSync(path.join(cached, "complete"), "");
  }
  await run("cp", ["-r", cached, path.join(context, "jars")]);
}

// The certificate authorities this machine trusts, which include the one of the proxy it reaches the
// package registries through (builds FROM the node stand-in run npm ci).
async function hostCertificates(context: string): Promise<void> {
  fs.copyFileSync("/etc/ssl/certs/ca-certificates.crt", path.join(context, "ci-ca.crt"));
}

// The graphiti stand-in's packages from PyPI, as wheels for trixie's CPython 3.13.
async function pythonWheels(context: string): Promise<void> {
  const platforms = ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_28_x86_64"].flatMap((p) => ["--platform", p]);
  await run(
    "pip",
    ["download", "-q", "-r", path.join(context, "requirements.txt"), "-d", path.join(context, "wheels"), "--only-binary=:all:", "--python-version", "3.13", "--implementation", "cp", "--abi", "cp313", ...platforms],
    { timeoutMs: 10 * 60_000 },
  );
}

// Whether `tag` is an image built from content with this key.
async function builtFrom(e: Engine, tag: string, key: string): Promise<boolean> {
  const current = await e.docker(["image", "inspect", "--format", '{{index .Config.Labels "dev.mcp-platform.e2e-key"}}', tag], { allowFail: true });
  return current.status === 0 && current.stdout.trim() === key;
}

async function build(e: Engine, tag: string, context: string, key: string, buildArgs: Record<string, string> = {}): Promise<void> {
  const args = Object.entries(buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
  await e.docker(["build", "-q", "--label", `dev.mcp-platform.e2e-key=${key}`, ...args, "-t", tag, context], { timeoutMs: 30 * 60_000 });
}

// Where the registry keeps a Docker Hub name: library/ for official images.
export function registryRef(registry: string, tag: string): string {
  const [repo] = tag.split(":");
  return `${registry}/${repo!.includes("/") ? "" : "library/"}${tag}`;
}

// Pushes an image named in the registry and returns the manifest digest the registry holds.
async function push(e: Engine, remote: string): Promise<string> {
  const out = (await e.docker(["push", remote], { timeoutMs: 10 * 60_000 })).stdout;
  const m = /digest: (sha256:[0-9a-f]{64})/.exec(out);
  if (!m) throw new Error(`docker push ${remote} printed no digest:\n${out}`);
  return m[1]!;
}

export interface PushedImages {
  // Docker Hub name -> digest in the suite's registry (pulled through the engine's mirror).
  hub: Record<string, string>;
  // ai-PA images pushed under the registry's own name: context -> "<registry>/pa/<context>:<tag>@<digest>".
  aiPa: Record<string, string>;
  // The platform's own health monitor, built from this repository and pushed (prod pins it by digest).
  monitor: string;
  // The backup image (components/backup/image FROM the Neo4j stand-in), pushed as prod's backup.image.
  backup: string;
  // The ai-PA checkout the dev stack builds from.
  sourceRoot: string;
}

// The stand-in MCP server, compiled for the ai-PA contexts (node runs plain CommonJS there).
function compiledStandIn(): string {
  const source = fs.readFileSync(path.join(IMAGES_DIR, "mcp-stand-in/server.ts"), "utf8");
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
}

// A checkout with the ai-PA build contexts: node:20-slim, the stand-in server as dist/server-http.js.
export async function aiPaCheckout(): Promise<string> {
  const root = path.join(RUN_DIR, "ai-PA");
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const server = compiledStandIn();
  for (const [context, role] of Object.entries(AI_PA_CONTEXTS)) {
    const dir = path.join(root, context);
    fs.mkdirSync(path.join(dir, "dist"), { recursive: true });
    fs.writeFileSync(path.join(dir, "dist/server-http.js"), server);
    fs.writeFileSync(
      path.join(dir, "package.json"),
      `${JSON.stringify({ name: context, private: true, dependencies: { "@modelcontextprotocol/sdk": pkg.dependencies["@modelcontextprotocol/sdk"], zod: pkg.dependencies.zod } }, null, 2)}\n`,
    );
    if (!fs.existsSync(path.join(dir, "node_modules/@modelcontextprotocol/sdk/package.json")))
      await run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--no-package-lock"], { cwd: dir, timeoutMs: 10 * 60_000 });
    fs.writeFileSync(
      path.join(dir, "Dockerfile"),
      [
        "# Stand-in ai-PA build context (end-to-end tests): the PA ecosystem's servers are node:20-slim images running dist/server-http.js.",
        "FROM node:20-slim",
        "WORKDIR /app",
        "COPY package.json ./",
        // Installed by the harness with the host's npm (containers here cannot verify the registry's certificate chain).
        "COPY node_modules ./node_modules",
        "COPY dist ./dist",
        `ENV STAND_IN_ROLE=${role}`,
        "USER node",
        'CMD ["node", "dist/server-http.js"]',
        "",
      ].join("\n"),
    );
  }
  return root;
}

export async function prepareImages(e: Engine, registry: string): Promise<PushedImages> {
  const hub: Record<string, string> = {};
  for (const s of STAND_INS) {
    // Built straight under the registry's name: the engine has no image called neo4j:5.26 itself, so the
    // program's pull goes through the mirror.
    const remote = registryRef(registry, s.tag);
    const key = hashDir(path.join(IMAGES_DIR, s.dir), s.base);
    if (!(await builtFrom(e, remote, key))) {
      await baseImage(e, s.base);
      const context = path.join(RUN_DIR, "contexts", s.dir);
      fs.rmSync(context, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(context), { recursive: true });
      await run("cp", ["-r", path.join(IMAGES_DIR, s.dir), context]);
      fs.rmSync(path.join(context, "maven"), { recursive: true, force: true });
      await s.prepare?.(context);
      await build(e, remote, context, key);
    }
    hub[s.tag] = await push(e, remote);
  }
  const sourceRoot = await aiPaCheckout();
  const aiPa: Record<string, string> = {};
  for (const context of Object.keys(AI_PA_CONTEXTS)) {
    const tag = `${registry}/pa/${context}:e2e`;
    const key = hashDir(path.join(sourceRoot, context));
    if (!(await builtFrom(e, tag, key))) await build(e, tag, path.join(sourceRoot, context), key);
    aiPa[context] = `${tag}@${await push(e, tag)}`;
  }
  const monitorContext = path.join(ROOT, "components/health-monitor/app");
  const monitorTag = `${registry}/mcp-platform/health-monitor:e2e`;
  const monitorKey = hashDir(
    path.join(monitorContext, "src"),
    ["package-lock.json", "Dockerfile", "tsconfig.json"].map((f) => fs.readFileSync(path.join(monitorContext, f), "utf8")).join("") + hashDir(path.join(monitorContext, "public")),
  );
  if (!(await builtFrom(e, monitorTag, monitorKey))) await build(e, monitorTag, monitorContext, monitorKey);
  const monitor = `${monitorTag}@${await push(e, monitorTag)}`;
  // The backup image as prod's operator builds it: FROM the stack's Neo4j image (here the stand-in).
  const backupContext = path.join(ROOT, "components/backup/image");
  const backupTag = `${registry}/mcp-platform/backup:e2e`;
  const neo4jRef = `${registryRef(registry, "neo4j:5.26")}@${hub["neo4j:5.26"]}`;
  const backupKey = hashDir(backupContext, neo4jRef);
  if (!(await builtFrom(e, backupTag, backupKey))) await build(e, backupTag, backupContext, backupKey, { NEO4J_IMAGE: neo4jRef });
  const backup = `${backupTag}@${await push(e, backupTag)}`;
  return { hub, aiPa, sourceRoot, monitor, backup };
}
