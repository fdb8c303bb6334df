// The gateway's cost per MCP request: the rendered HAProxy config (TLS and OAuth on: every request carries
// a JWT that HAProxy verifies) in front of a stub upstream, against the stub reached directly, on loopback,
// in one run, for trivial answers and for answers that take 5 ms. HAProxy is held to the CPU prod gives the
// gateway (one thread, pinned to one core), the rate limits raised out of the way; its JSON access log goes
// to a pipe, as to Docker's log in the container.
import * as child from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { platformSchema } from "../components/config/schema";
import { gatewayModel } from "../components/gateway/model";
import { makeIssuer, selfSigned, waitReady, writeConfDir } from "../test/components/gateway/harness";
import { findHaproxy, freePorts } from "../test/components/gateway/stubs";
import { fmt, spread, summarize } from "./stats";
import type { Section } from "./run";

const TSX = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
const CONNECTIONS = 8;
const REQUESTS = 10_000;
// The gateway's CPU in prod (Pulumi.prod.yaml gateway.cpus).
const GATEWAY_CPUS = 1;

interface LoadResult {
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  rps: number;
}

function load(port: number, urlPath: string, requests: number, tls?: { caFile: string; token: string }): LoadResult {
  const args = [path.join(__dirname, "load.ts"), String(port), urlPath, String(CONNECTIONS), String(requests), ...(tls ? [tls.caFile, tls.token] : [])];
  const out = child.execFileSync(TSX, args, { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as LoadResult;
}

async function upstream(port: number, delayMs: number): Promise<child.ChildProcess> {
  const p = child.spawn(TSX, [path.join(__dirname, "upstream.ts"), String(port), String(delayMs)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => p.stdout!.once("data", () => resolve()));
  return p;
}

export async function gatewaySection(runs: number): Promise<Section> {
  const { bin, problem } = findHaproxy();
  const title = "Gateway: MCP POST through HAProxy 3.2 (rendered config, TLS + OAuth JWT, 1 CPU) vs. the upstream directly, loopback";
  const columns = ["answer", "path", "p50 latency", "p99 latency", "throughput", "× direct (p50 / rps)", "added p50"];
  if (!bin) return { title, columns, rows: [[`skipped: ${problem}`, "", "", "", "", "", ""]], data: { skipped: problem } };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-gateway-"));
  const procs: child.ChildProcess[] = [];
  try {
    const [trivialPort, slowPort, gatewayPort, slowGatewayPort, metricsPort] = (await freePorts(5)) as [number, number, number, number, number];
    procs.push(await upstream(trivialPort, 0), await upstream(slowPort, 5));
    const issuer = await makeIssuer("https://auth.example.com");
    const auth = { mode: "oauth", issuer: issuer.issuer, publicKeys: [issuer.publicKeyPem], scopes: ["mcp:tools"] };
    const limits = { rateLimitPerMinute: 60_000_000, rateLimitBurst: 1_000_000 };
    const config = platformSchema.parse({
      gateway: { tls: { selfSigned: true }, publicHost: "127.0.0.1", metricsPort, cpus: GATEWAY_CPUS },
      services: { gmail: { publishedPort: gatewayPort, auth, ...limits }, rag: { publishedPort: slowGatewayPort, auth, ...limits }, graphiti: { enabled: false } },
      healthMonitor: { enabled: false },
    });
    const model = gatewayModel(config);
    model.routes.find((r) => r.service === "gmail")!.peers = [`127.0.0.1:${trivialPort}`];
    model.routes.find((r) => r.service === "rag")!.peers = [`127.0.0.1:${slowPort}`];
    const cert = selfSigned();
    const caFile = path.join(dir, "ca.pem");
    fs.writeFileSync(caFile, cert.cert);
    const { confDir } = writeConfDir(dir, model, { tlsPem: cert.pem });
    const haproxy = child.spawn("taskset", ["-c", String(os.cpus().length - 1), bin, "-db", "-f", path.join(confDir, "haproxy.cfg")], { stdio: ["ignore", "pipe", "inherit"] });
    procs.push(haproxy);
    // Read the access log as Docker would, so that writing it costs what it costs.
    haproxy.stdout!.resume();
    await waitReady(metricsPort, () => haproxy.exitCode !== null, () => "");

    const rows: string[][] = [];
    const data: Record<string, unknown> = { connections: CONNECTIONS, gatewayCpus: GATEWAY_CPUS };
    for (const [answer, upstreamPort, viaPort, service, requests] of [
      ["trivial", trivialPort, gatewayPort, "gmail", REQUESTS],
      ["5 ms", slowPort, slowGatewayPort, "rag", REQUESTS / 5],
    ] as const) {
      const route = model.routes.find((r) => r.service === service)!;
      const token = await issuer.sign({ aud: route.resource, sub: "bench", scope: "mcp:tools" }, { expiresIn: "1h" });
      const tls = { caFile, token };
      load(upstreamPort, "/mcp", requests / 4);
      load(viaPort, "/mcp", requests / 4, tls);
      const direct: LoadResult[] = [];
      const via: LoadResult[] = [];
      // Alternate the two so that drift in the machine's load affects both alike.
      for (let i = 0; i < runs; i++) {
        direct.push(load(upstreamPort, "/mcp", requests));
        via.push(load(viaPort, "/mcp", requests, tls));
      }
      const failed = [...direct, ...via].reduce((n, r) => n + r.failed, 0);
      if (failed) throw new Error(`${failed} requests failed during the gateway benchmark (${answer} answers)`);
      const s = (xs: LoadResult[], k: keyof LoadResult) => summarize(xs.map((x) => x[k]));
      const d = { p50: s(direct, "p50"), p99: s(direct, "p99"), rps: s(direct, "rps") };
      const v = { p50: s(via, "p50"), p99: s(via, "p99"), rps: s(via, "rps") };
      const latencyRatio = v.p50.median / d.p50.median;
      const throughputRatio = v.rps.median / d.rps.median;
      const addedP50 = v.p50.median - d.p50.median;
      rows.push(
        [answer, "upstream directly (floor)", spread(d.p50, " ms", 2), spread(d.p99, " ms", 2), `${fmt(d.rps.median)} req/s`, "1.00 / 1.00", ""],
        [answer, "through the gateway", spread(v.p50, " ms", 2), spread(v.p99, " ms", 2), `${fmt(v.rps.median)} req/s`, `${latencyRatio.toFixed(2)} / ${throughputRatio.toFixed(2)}`, `${addedP50.toFixed(2)} ms`],
      );
      data[answer] = { requestsPerRun: requests, direct: d, gateway: v, latencyRatio, throughputRatio, addedP50Ms: addedP50 };
    }
    return { title: `${title}, ${CONNECTIONS} keep-alive connections`, columns, rows, data };
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
