// npm run pin against a real registry on loopback (Debian's docker-registry, the CNCF distribution
// server): images pushed to it through the Registry API, tags resolved to the digests it serves.
import { spawn, type ChildProcess } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../../components/pin";
import { parseReference } from "../../../components/pin/registry";
import { ROOT } from "../../harness/stack-files";
import { hasTool, skipOrFail } from "../../harness/tools";

const problem = hasTool("docker-registry") ? undefined : "docker-registry is not installed (apt-get install docker-registry)";
let registry: ChildProcess | undefined;
let host = "";
let tmp: string;

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function pushBlob(repo: string, data: Buffer): Promise<string> {
  const digest = sha(data);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get("location")!, `http://${host}`);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, { method: "PUT", body: data, headers: { "content-type": "application/octet-stream" } });
  expect(put.status).toBe(201);
  return digest;
}

// What `docker push` does: the layer and config blobs, then the manifest under its tag. Returns the
// manifest's digest, computed here from the bytes sent.
async function push(repo: string, tag: string, content = tag): Promise<string> {
  const layer = gzipSync(Buffer.from(`layer of ${repo}:${content}`));
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha(Buffer.from(content))] }, config: {} }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: await pushBlob(repo, config) },
      layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: layer.length, digest: await pushBlob(repo, layer) }],
    }),
  );
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    body: manifest,
    headers: { "content-type": "application/vnd.docker.distribution.manifest.v2+json" },
  });
  expect(res.status, await res.text()).toBe(201);
  return sha(manifest);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pin-"));
  if (problem) return;
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  fs.writeFileSync(
    path.join(tmp, "registry.yml"),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/data\nhttp:\n  addr: ${host}\n`,
  );
  registry = spawn("docker-registry", ["serve", path.join(tmp, "registry.yml")], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`http://${host}/v2/`).catch(() => undefined))?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not start on ${host}`);
});

afterAll(() => {
  registry?.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const stackFile = () => `# A prod-like stack; this comment stays.
config:
  mcp-platform:environment: prod
  mcp-platform:neo4j:
    image: ${host}/library/neo4j:5.26 # the graph
    memoryMb: 2048
  mcp-platform:services:
    gmail:
      image: ${host}/pa/gmail-mcp:1.1.11
      replicas: 2
    graphiti:
      image: ${host}/zepai/knowledge-graph-mcp:1.0.1-standalone
    rag:
      enabled: false
  mcp-platform:healthMonitor:
    image: ${host}/pa/health-monitor:1.0.0
  mcp-platform:gateway:
    image: ${host}/library/nginx:1.30.0-alpine
`;

async function run(args: string[], dir: string) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, (s) => (stdout += `${s}\n`), (s) => (stderr += `${s}\n`), dir);
  return { code, stdout, stderr };
}

function project(text: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, "project-"));
  fs.writeFileSync(path.join(dir, "Pulumi.t.yaml"), text);
  return dir;
}
const config = (dir: string) => (parse(fs.readFileSync(path.join(dir, "Pulumi.t.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> }).config;

describe("npm run pin against a registry on loopback", () => {
  it("writes each image's registry digest next to its tag, keeping comments, and says what changed on a second run", async (ctx) => {
    skipOrFail(ctx, problem);
    const digests = {
      neo4j: await push("library/neo4j", "5.26"),
      gmail: await push("pa/gmail-mcp", "1.1.11"),
      graphiti: await push("zepai/knowledge-graph-mcp", "1.0.1-standalone"),
      monitor: await push("pa/health-monitor", "1.0.0"),
      nginx: await push("library/nginx", "1.30.0-alpine"),
    };
    const dir = project(stackFile());
    const first = await run(["--stack", "t"], dir);
    expect(first.code, first.stderr).toBe(0);
    const c = config(dir);
    expect(c["mcp-platform:neo4j"]!.image).toBe(`${host}/library/neo4j:5.26@${digests.neo4j}`);
    expect((c["mcp-platform:services"]!.gmail as { image: string }).image).toBe(`${host}/pa/gmail-mcp:1.1.11@${digests.gmail}`);
    expect((c["mcp-platform:services"]!.graphiti as { image: string }).image).toBe(`${host}/zepai/knowledge-graph-mcp:1.0.1-standalone@${digests.graphiti}`);
    // A disabled server is not pinned (nor pulled).
    expect(c["mcp-platform:services"]!.rag).toEqual({ enabled: false });
    expect(c["mcp-platform:healthMonitor"]!.image).toBe(`${host}/pa/health-monitor:1.0.0@${digests.monitor}`);
    expect(c["mcp-platform:gateway"]!.image).toBe(`${host}/library/nginx:1.30.0-alpine@${digests.nginx}`);
    const text = fs.readFileSync(path.join(dir, "Pulumi.t.yaml"), "utf8");
    expect(text).toMatch(/^# A prod-like stack; this comment stays\.$/m);
    expect(text).toMatch(/@sha256:[0-9a-f]{64} # the graph$/m);
    expect(first.stdout).toMatch(new RegExp(`^services\\.gmail\\.image\\s+${host}/pa/gmail-mcp:1\\.1\\.11@${digests.gmail} \\(pinned\\)$`, "m"));
    expect(first.stdout).toMatch(/wrote 5 digests to Pulumi\.t\.yaml; next: pulumi preview --stack t/);

    // The tag moves to a new build: the next pin says so and writes the new digest.
    const rebuilt = await push("pa/gmail-mcp", "1.1.11", "rebuilt");
    const second = await run(["--stack", "t"], dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^services\\.gmail\\.image\\s+.*@${rebuilt} \\(was ${digests.gmail}\\)$`, "m"));
    expect(second.stdout).toMatch(/^neo4j\.image\s+.* \(unchanged\)$/m);
    expect((config(dir)["mcp-platform:services"]!.gmail as { image: string }).image).toBe(`${host}/pa/gmail-mcp:1.1.11@${rebuilt}`);
  });

  it("an unknown tag: a clear error, and the file is left as it was", async (ctx) => {
    skipOrFail(ctx, problem);
    await push("pa/gmail-mcp", "1.1.11");
    const text = stackFile().replace("gmail-mcp:1.1.11", "gmail-mcp:9.9.9");
    const dir = project(text);
    const { code, stdout, stderr } = await run(["--stack", "t"], dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`^services\\.gmail\\.image\\s+FAILED: ${host} has no tag 9\\.9\\.9 of pa/gmail-mcp: push it first, or fix the tag`, "m"));
    expect(stderr).toMatch(/Pulumi\.t\.yaml unchanged: every image must resolve before any is written/);
    expect(fs.readFileSync(path.join(dir, "Pulumi.t.yaml"), "utf8")).toBe(text);
  });

  it("--dry-run resolves and changes nothing", async (ctx) => {
    skipOrFail(ctx, problem);
    const dir = project(stackFile());
    const { code, stdout } = await run(["--stack", "t", "--dry-run"], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/dry run, Pulumi\.t\.yaml unchanged/);
    expect(fs.readFileSync(path.join(dir, "Pulumi.t.yaml"), "utf8")).toBe(stackFile());
  });

  it("a registry that is not there, a server built from source, a stack that does not exist", async () => {
    const port = await freePort();
    const gone = project(`config:\n  mcp-platform:services:\n    gmail: {image: "127.0.0.1:${port}/pa/gmail:1"}\n    graphiti: {enabled: false}\n    rag: {enabled: false}\n  mcp-platform:healthMonitor: {enabled: false}\n`);
    const r = await run(["--stack", "t"], gone);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`FAILED: cannot reach the registry 127\\.0\\.0\\.1:${port} \\(http://127\\.0\\.0\\.1:${port}\\) for 127\\.0\\.0\\.1:${port}/pa/gmail:1: ECONNREFUSED`));
    const built = project("config:\n  mcp-platform:environment: dev\n");
    expect((await run(["--stack", "t", "--dry-run"], built)).stderr).toMatch(/pin: services\.gmail is built from source, which a digest cannot pin: push the image to a registry and set services\.gmail\.image/);
    expect((await run(["--stack", "nope"], built)).stderr).toMatch(/Pulumi\.nope\.yaml does not exist/);
    expect((await run([], built)).stderr).toMatch(/^pin: --stack <name> is required/);
  });
});

describe("image references and the committed prod stack", () => {
  it("normalises names as Docker does", () => {
    expect(parseReference("neo4j:5.26")).toMatchObject({ registry: "docker.io", repository: "library/neo4j", tag: "5.26" });
    expect(parseReference("zepai/knowledge-graph-mcp:1.0.1-standalone")).toMatchObject({ registry: "docker.io", repository: "zepai/knowledge-graph-mcp" });
    expect(parseReference("localhost:5000/pa/rag:1@sha256:ab")).toMatchObject({ registry: "localhost:5000", repository: "pa/rag", tag: "1", digest: "sha256:ab" });
    expect(() => parseReference("registry.example.com/pa/rag")).toThrow(/has no tag: name the version to pin/);
  });

  it("Pulumi.prod.yaml ships with tags (no placeholder digests) and says to pin first", () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
    expect(text).not.toMatch(/sha256:0{64}/);
    expect(text).toMatch(/npm run pin -- --stack prod/);
    const images = [...text.matchAll(/^\s+image: (\S+)/gm)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThanOrEqual(6);
    for (const image of images) expect(image, image).toMatch(/:[\w.-]+(@sha256:[0-9a-f]{64})?$/);
  });
});
