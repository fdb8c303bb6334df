// Config changes without an outage: the container's own entrypoint (components/gateway/entrypoint.sh) runs
// the real HAProxy 3.2 in master-worker mode on loopback; the config directory is rewritten as a deploy
// rewrites it (a replica added, a limit changed) while 20 SSE streams are open.
import * as child from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { platformSchema } from "../../../components/config/schema";
import { issuerKeyFile, renderHaproxyCfg } from "../../../components/gateway/haproxy-cfg";
import { gatewayModel, type GatewayModel } from "../../../components/gateway/model";
import { skipOrFail } from "../../harness/tools";
import { makeIssuer, selfSigned, tlsRequest, waitReady, writeConfDir, type Issuer } from "./harness";
import { findHaproxy, freePorts, startReplica, type StubReplica } from "./stubs";

const HAPROXY = findHaproxy();
const KEY = "reload-test-key-0123456789abcdefghijklmnopqrstuvwxyz";

let dir: string;
let confDir: string;
let runDir: string;
let entry: child.ChildProcess | undefined;
let output = "";
let ca: string;
let gatewayPort = 0;
let oauthPort = 0;
let metricsPort = 0;
// rag takes OAuth tokens: signed by the old key until a rotation's last step removes it.
let oldKey: Issuer;
let newKey: Issuer;
let ragKeys: string[] = [];
const replicas: StubReplica[] = [];

function modelFor(replicaCount: number, ratePerMinute: number): GatewayModel {
  const c = platformSchema.parse({
    gateway: { tls: { selfSigned: true }, publicHost: "127.0.0.1", metricsPort },
    services: {
      gmail: { replicas: replicaCount, publishedPort: gatewayPort, rateLimitPerMinute: ratePerMinute, rateLimitBurst: 100, auth: { mode: "apiKey", clients: ["tester"] } },
      graphiti: { enabled: false },
      rag: { publishedPort: oauthPort, auth: { mode: "oauth", issuer: oldKey.issuer, publicKeys: ragKeys } },
    },
    healthMonitor: { enabled: false },
  });
  const m = gatewayModel(c);
  m.routes.find((r) => r.service === "gmail")!.peers = replicas.slice(0, replicaCount).map((r) => r.address);
  m.routes.find((r) => r.service === "rag")!.peers = [replicas[0]!.address];
  return m;
}

let startError: unknown;
beforeAll(async () => {
  if (!HAPROXY.bin) return;
  try {
    [gatewayPort, oauthPort, metricsPort] = (await freePorts(3)) as [number, number, number];
    oldKey = await makeIssuer("https://auth.example.com");
    newKey = await makeIssuer("https://auth.example.com");
    ragKeys = [oldKey.publicKeyPem];
    for (let i = 1; i <= 3; i++) replicas.push(await startReplica(`gmail-${i}`, "/mcp"));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-reload-"));
    const cert = selfSigned();
    ca = cert.cert;
    ({ confDir, runDir } = writeConfDir(dir, modelFor(2, 6000), { tlsPem: cert.pem, apiKeys: { gmail: { tester: KEY } } }));
    entry = child.spawn("sh", [path.join(confDir, "entrypoint.sh")], {
      env: { ...process.env, MCP_GATEWAY_CONF_DIR: confDir, MCP_GATEWAY_HAPROXY: HAPROXY.bin, MCP_GATEWAY_RELOAD_POLL_SECONDS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    entry.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    entry.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    await waitReady(metricsPort, () => entry!.exitCode !== null, () => output);
  } catch (e) {
    startError = e;
  }
}, 60_000);

afterAll(async () => {
  if (entry && entry.exitCode === null) {
    const exited = new Promise((r) => entry!.once("exit", r));
    entry.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (entry.exitCode === null) entry.kill("SIGKILL");
  }
  await Promise.all(replicas.map((r) => r.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach((ctx) => {
  skipOrFail(ctx, HAPROXY.problem);
  if (startError) throw startError;
});

const auth = { authorization: `Bearer ${KEY}` };
const rewrite = (m: GatewayModel) => {
  // Written as a deploy writes it: the new file replaces the old one.
  const cfg = renderHaproxyCfg(m, { listenAddress: "127.0.0.1", confDir, runtimeDir: runDir });
  fs.writeFileSync(path.join(confDir, "haproxy.cfg.new"), cfg);
  fs.renameSync(path.join(confDir, "haproxy.cfg.new"), path.join(confDir, "haproxy.cfg"));
};
const servedBy = async () => {
  const r = await tlsRequest(gatewayPort, ca, { path: "/mcp", method: "POST", headers: auth, body: "{}" });
  return r.status === 200 ? (JSON.parse(r.body) as { replica: string }).replica : `HTTP ${r.status}`;
};

interface OpenStream {
  events: string[];
  done: Promise<{ ended: boolean; error?: string }>;
}

function openStream(): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    let settle!: (v: { ended: boolean; error?: string }) => void;
    const done = new Promise<{ ended: boolean; error?: string }>((r) => (settle = r));
    const req = https.request(
      { host: "127.0.0.1", port: gatewayPort, path: "/mcp", method: "GET", ca, agent: false, headers: { accept: "text/event-stream", ...auth } },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          events.push(chunk);
          if (events.length === 1) resolve({ events, done });
        });
        res.on("end", () => settle({ ended: true }));
        res.on("error", (e) => settle({ ended: false, error: e.message }));
        res.on("aborted", () => settle({ ended: false, error: "aborted" }));
      },
    );
    req.on("error", (e) => {
      settle({ ended: false, error: e.message });
      reject(e);
    });
    req.end();
  });
}

describe("reload in place", () => {
  it("takes a new replica and a new limit without losing any of 20 open SSE streams", async () => {
    const streams = await Promise.all(Array.from({ length: 20 }, openStream));
    const workersBefore = output.match(/Initializing new worker/g)?.length ?? 0;
    rewrite(modelFor(3, 3000));
    // The new config is in force once the third replica answers (bounded: 15 s).
    const seen = new Set<string>();
    for (let i = 0; i < 150 && !seen.has("gmail-3"); i++) {
      seen.add(await servedBy());
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.has("gmail-3"), output).toBe(true);
    expect([...seen].filter((s) => s.startsWith("HTTP"))).toEqual([]);
    expect(output).toContain("config changed: reloading in place");
    expect(output.match(/Initializing new worker/g)?.length ?? 0).toBe(workersBefore + 1);
    // The streams opened before the reload are still served by the old worker: each gets its last event.
    for (const r of replicas) r.releaseStreams();
    const results = await Promise.all(streams.map((s) => s.done));
    expect(results.filter((r) => !r.ended)).toEqual([]);
    for (const s of streams) expect(s.events.join("")).toMatch(/^id: 1\ndata: first from gmail-[12]\n\n[\s\S]*data: last from gmail-[12]\n\n$/);
  }, 60_000);

  it("keeps serving the running config when the new one is invalid", async () => {
    const good = fs.readFileSync(path.join(confDir, "haproxy.cfg"), "utf8");
    fs.writeFileSync(path.join(confDir, "haproxy.cfg"), `${good}\nthis-is-not-a-directive\n`);
    for (let i = 0; i < 60 && !output.includes("is invalid"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain("config changed but is invalid; still serving the previous one");
    for (let i = 0; i < 5; i++) expect(await servedBy()).toMatch(/^gmail-[123]$/);
    fs.writeFileSync(path.join(confDir, "haproxy.cfg"), good);
  }, 30_000);

  it("forgets every verified token on a reload: a rotation's removed key stops working at once", async () => {
    const ragAudience = `https://127.0.0.1:${oauthPort}/mcp`;
    const post = async (token: string) => (await tlsRequest(oauthPort, ca, { path: "/mcp", method: "POST", headers: { authorization: `Bearer ${token}` }, body: "{}" })).status;
    const old = await oldKey.sign({ aud: ragAudience, sub: "tester" }, { expiresIn: "1h" });
    const next = await newKey.sign({ aud: ragAudience, sub: "tester" }, { expiresIn: "1h" });
    // Verified once, then remembered.
    expect([await post(old), await post(old), await post(next)]).toEqual([200, 200, 401]);
    // The rotation's last step: only the new key.
    ragKeys = [newKey.publicKeyPem];
    fs.writeFileSync(path.join(confDir, issuerKeyFile("rag", 0)), newKey.publicKeyPem);
    rewrite(modelFor(3, 3000));
    // The new config is in force once a new-key token passes (bounded: 15 s); the old one, remembered by
    // the previous worker, is checked again by the new one and refused.
    let status = 0;
    for (let i = 0; i < 150 && status !== 200; i++) {
      status = await post(next);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status, output).toBe(200);
    expect(await post(old)).toBe(401);
  }, 30_000);
});
